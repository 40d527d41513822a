//! `motcua account`: people's accounts from the command line (the operator's way to make the
//! first administrator), checked with the same rules as the account API.

use std::io::BufRead as _;

use anyhow::Context as _;
use motcua::auth::Accounts;
use motcua::auth::accounts::{Manager, NewAccount, Username};
use motcua::auth::password::Password;
use motcua::config::StoreArgs;

use super::token::{RightsArgs, check};

#[derive(clap::Subcommand)]
pub(crate) enum AccountCommand {
    /// Create an account. The password is read from the first line of standard input with
    /// --password-stdin (never from the command line, where other users could see it); without
    /// it the account signs in only through the identity provider.
    Create {
        /// 3 to 64 characters from a-z, 0-9, `.`, `_`, `-`, `@`.
        #[arg(long)]
        username: String,
        /// Read the password from standard input (at least 12 characters, not common).
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        rights: RightsArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the accounts (username, role, unit, state).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `motcua account`.
pub(crate) async fn run(command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create {
            username,
            password_stdin,
            rights,
            store,
        } => {
            let username = Username::parse(&username)
                .context("--username: 3 to 64 characters from a-z, 0-9, '.', '_', '-' and '@'")?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let line = line.trim_end_matches(['\r', '\n']);
                anyhow::ensure!(!line.is_empty(), "standard input held no password");
                Some(Password::new(line))
            } else {
                None
            };
            let mut rights = rights.parse()?;
            let dossiers = check(store, &mut rights).await?;
            let accounts = Accounts::new(dossiers.db().clone(), Default::default());
            let has_password = password.is_some();
            let account = accounts
                .create(
                    Manager::Cli,
                    NewAccount {
                        username,
                        rights,
                        password,
                    },
                    &|_| true,
                    &|_| true,
                )
                .await?;
            let how = if has_password {
                "signs in with its password"
            } else {
                "signs in through the identity provider only"
            };
            println!(
                "created the {} account {:?}; it {how}",
                account.principal.role, account.username
            );
        }
        AccountCommand::List { store } => {
            let mut rights = motcua::auth::NewToken {
                role: motcua::auth::Role::Admin,
                tax_code: None,
                id_number: None,
                agency: None,
                name: None,
                branches: false,
                unit: None,
            };
            let dossiers = check(store, &mut rights).await?;
            let accounts = Accounts::new(dossiers.db().clone(), Default::default());
            for a in accounts.list(Manager::Cli).await? {
                let state = if a.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    a.username,
                    a.principal.role,
                    a.principal.unit.as_ref().map_or("-", |u| u.as_str()),
                    if a.second_factor { "2fa" } else { "-" },
                    state
                );
            }
        }
    }
    Ok(())
}
