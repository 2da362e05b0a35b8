//! The `eniplane` binary: `serve` runs the control plane, `account create` adds a tenant.

use eniplane::{accounts, config, http};

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
        #[arg(long, env = "ENIPLANE_DATABASE_URL")]
        database_url: Option<String>,
        /// A JSON policy document (CAM / RAM grammar) limiting what the new key may do.
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => http::serve(args),
        Command::Account { command: AccountCommand::Create { name, data_dir, database_url, policy, json } } => {
            accounts::create_command_on(&name, &data_dir, database_url.as_deref(), policy.as_deref(), json)
        }
    };
    match result {
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
    use clap::CommandFactory;

    /// The help states every connection limit and timeout with the value the code uses.
    #[test]
    fn serve_help_shows_every_limit_with_its_value() {
        let mut cli = Cli::command();
        let help = cli.find_subcommand_mut("serve").unwrap().render_long_help().to_string();
        let d = config::HttpLimits::default();
        for (flag, value) in [
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
