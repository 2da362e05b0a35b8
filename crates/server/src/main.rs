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
        /// File holding the key that seals access-key secrets (as for `serve`).
        #[arg(long)]
        secret_key_file: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => http::serve(args),
        Command::Account {
            command: AccountCommand::Create { name, data_dir, database_url, policy, secret_key_file, json },
        } => accounts::create_command(accounts::CreateCommand {
            name: &name,
            data_dir: &data_dir,
            database_url: database_url.as_deref(),
            policy: policy.as_deref(),
            secret_key_file: secret_key_file.as_deref(),
            json,
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eniplane: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
