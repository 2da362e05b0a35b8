//! The `eniplane` binary: `serve` runs the control plane; `account` and `key` manage tenants and
//! their access keys; `admin` talks to a running server's admin API; `actions` lists what the
//! dialects support; `config print` shows the effective configuration.

use eniplane::admin::{actions, client};
use eniplane::keys::{self, StoreArgs};
use eniplane::{accounts, config, http};

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

/// mimalloc: the request path allocates many small, short-lived buffers (JSON, headers), where
/// the system allocator showed as the top item in profiles.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A self-hostable cloud network control plane speaking the Tencent Cloud VPC and Alibaba Cloud
/// ENS APIs.
#[derive(Parser)]
#[command(name = "eniplane", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    #[command(after_help = config::limits_help())]
    Serve(config::ServeArgs),
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Manage an account's access keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Talk to a running server's admin API (under /_eniplane/).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// List every supported action, without a server (`admin actions` asks a running one).
    Actions(ActionFilter),
    /// Show the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account with an access key pair.
    Create {
        /// Account name (unique).
        name: String,
        /// Data directory of the embedded store.
        #[arg(long, default_value = config::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// PostgreSQL URL of a shared store (instead of the embedded one).
        #[arg(long, env = "ENIPLANE_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
        /// A JSON policy document (CAM / RAM grammar) limiting what the new key may do.
        #[arg(long)]
        policy: Option<PathBuf>,
        /// File holding the key that seals access-key secrets (as for `serve`).
        #[arg(long)]
        secret_key_file: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show an account and its keys.
    Show {
        /// Account name.
        name: String,
        /// Show the keys' secrets too.
        #[arg(long)]
        show_secret: bool,
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Add an access key pair to an account and print it.
    Create {
        /// Account name.
        account: String,
        /// A JSON policy document (CAM / RAM grammar) limiting what the new key may do.
        #[arg(long)]
        policy: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List an account's access keys (without secrets).
    List {
        /// Account name.
        account: String,
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a key: its requests are refused (Tencent AuthFailure.SecretIdNotFound, ENS
    /// InvalidAccessKeyId.Inactive) until it is enabled again.
    Disable {
        /// Access key id.
        key_id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Enable a disabled key.
    Enable {
        /// Access key id.
        key_id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete a key for good.
    Delete {
        /// Access key id.
        key_id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// How to reach a running server's admin API.
#[derive(Args)]
struct AdminConn {
    /// The server: http://HOST:PORT or https://HOST:PORT
    #[arg(long, env = "ENIPLANE_SERVER", default_value = client::DEFAULT_SERVER)]
    server: String,
    /// The admin token [default: the one in DATA_DIR/admin.token]
    #[arg(long, env = "ENIPLANE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// The server's data directory, for its admin token and self-signed CA
    #[arg(long, default_value = config::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// The CA to trust for HTTPS [default: DATA_DIR/tls/ca.pem]
    #[arg(long)]
    ca: Option<PathBuf>,
}

impl AdminConn {
    fn target(self) -> client::Target {
        client::Target { server: self.server, token: self.admin_token, data_dir: self.data_dir, ca: self.ca }
    }
}

#[derive(Subcommand)]
enum AdminCommand {
    /// GET /_eniplane/actions: every action the server supports.
    Actions {
        #[command(flatten)]
        filter: ActionFilter,
        #[command(flatten)]
        conn: AdminConn,
    },
}

/// Which actions to list.
#[derive(Args)]
struct ActionFilter {
    /// Only this dialect (tencent, ens).
    #[arg(long)]
    dialect: Option<String>,
    /// Only this service (vpc, cvm, ens).
    #[arg(long)]
    service: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl ActionFilter {
    fn filter(&self) -> actions::Filter {
        actions::Filter { dialect: self.dialect.clone(), service: self.service.clone() }
    }

    fn query(&self) -> String {
        let pairs: Vec<String> = [("dialect", &self.dialect), ("service", &self.service)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }

    fn print(&self, list: &actions::ActionList) -> Result<(), String> {
        if self.json {
            println!("{}", serde_json::to_string(list).map_err(|e| e.to_string())?);
        } else {
            print!("{}", actions::render(list));
        }
        Ok(())
    }
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Show the configuration `serve` would run with (same flags, environment and file), each
    /// value with its source; secrets redacted.
    Print {
        #[command(flatten)]
        serve: config::ServeArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn admin(command: AdminCommand) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    match command {
        AdminCommand::Actions { filter, conn } => {
            let path = format!("/_eniplane/actions{}", filter.query());
            let body = runtime.block_on(conn.target().request("GET", &path, None))?.ok()?;
            let list: actions::ActionList = serde_json::from_value(body).map_err(|e| e.to_string())?;
            filter.print(&list)
        }
    }
}

fn run(command: Command, matches: &clap::ArgMatches) -> Result<(), String> {
    match command {
        Command::Serve(args) => http::serve(args),
        Command::Account { command } => match command {
            AccountCommand::Create { name, data_dir, database_url, policy, secret_key_file, json } => {
                accounts::create_command(accounts::CreateCommand {
                    name: &name,
                    data_dir: &data_dir,
                    database_url: database_url.as_deref(),
                    policy: policy.as_deref(),
                    secret_key_file: secret_key_file.as_deref(),
                    json,
                })
            }
            AccountCommand::List { store, json } => keys::account_list(&store, json),
            AccountCommand::Show { name, show_secret, store, json } => {
                keys::account_show(&store, &name, show_secret, json)
            }
        },
        Command::Key { command } => match command {
            KeyCommand::Create { account, policy, store, json } => {
                keys::key_create(&store, &account, policy.as_deref(), json)
            }
            KeyCommand::List { account, store, json } => keys::key_list(&store, &account, json),
            KeyCommand::Disable { key_id, store } => keys::key_set_disabled(&store, &key_id, true),
            KeyCommand::Enable { key_id, store } => keys::key_set_disabled(&store, &key_id, false),
            KeyCommand::Delete { key_id, store } => keys::key_delete(&store, &key_id),
        },
        Command::Admin { command } => admin(command),
        Command::Actions(filter) => {
            let list = actions::catalog(&filter.filter()).map_err(|e| e.to_string())?;
            filter.print(&list)
        }
        Command::Config { command: ConfigCommand::Print { serve, json } } => {
            let print = matches.subcommand_matches("config").and_then(|m| m.subcommand_matches("print"));
            let print = print.ok_or("config print: no arguments")?;
            config::print::command(&serve, print, json)
        }
    }
}

fn main() -> std::process::ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli.command, &matches) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eniplane: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The help states every default and every connection limit and timeout with the value the
    /// code uses.
    #[test]
    fn serve_help_shows_every_limit_with_its_value() {
        let mut cli = Cli::command();
        let help = cli.find_subcommand_mut("serve").unwrap().render_long_help().to_string();
        let d = config::HttpLimits::default();
        for (flag, value) in [
            ("--listen", config::DEFAULT_LISTEN.to_string()),
            ("--data-dir", config::DEFAULT_DATA_DIR.to_string()),
            ("--transition-delay-ms", config::DEFAULT_DELAY_MS.to_string()),
            ("--log-format", config::LogFormat::default().name().to_string()),
            ("--max-connections", d.max_connections.to_string()),
            ("--accept-backlog", d.accept_backlog.to_string()),
            ("--header-read-timeout-ms", d.header_read_timeout.as_millis().to_string()),
            ("--body-read-timeout-ms", d.body_read_timeout.as_millis().to_string()),
            ("--idle-timeout-ms", d.idle_timeout.as_millis().to_string()),
        ] {
            let at = help.find(flag).unwrap_or_else(|| panic!("{flag} in the help"));
            let entry = &help[at..];
            let entry = &entry[..entry[2..].find("\n      --").map_or(entry.len(), |i| i + 2)];
            assert!(entry.contains(&format!("[default: {value}]")), "{flag}: {entry}");
        }
        for value in [
            eniplane_api::MAX_BODY,
            eniplane::intake::MAX_HEADERS,
            eniplane::intake::MAX_HEADER_BYTES,
            eniplane::intake::MAX_TARGET_BYTES,
            eniplane::listener::HARD_MAX_HEADERS,
            eniplane::listener::LINGER_BYTES,
        ] {
            assert!(help.contains(&value.to_string()), "{value} in: {help}");
        }
        assert!(help.contains(&eniplane::listener::OVERFLOW_DEADLINE.as_millis().to_string()));
    }
}
