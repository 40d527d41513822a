//! `motcua token create`: an API token, checked with the same rule as the token API (the agency
//! against the catalogue in force).

use anyhow::Context as _;
use motcua::auth::{NewToken, Role};
use motcua::config::{ServeArgs, StoreArgs};
use motcua::dossier::{IdNumber, TaxCode};

#[derive(clap::Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token. The token is printed as the last line; only its hash is stored.
    Create {
        /// business, citizen, officer, archivist or admin.
        #[arg(long)]
        role: String,
        /// The business's tax code (required for --role business).
        #[arg(long)]
        tax_code: Option<String>,
        /// The citizen's identification number (required for --role citizen).
        #[arg(long)]
        id_number: Option<String>,
        /// The agency or unit a staff member works for. An officer with an agency sees only the
        /// dossiers of the procedures the catalogue gives that agency (spelled as there).
        #[arg(long)]
        agency: Option<String>,
        /// A business token that also sees, and files for, the business's branches and
        /// dependent units (tax codes `<--tax-code>-NNN`).
        #[arg(long)]
        branches: bool,
        /// A display name.
        #[arg(long)]
        name: Option<String>,
        /// A staff token's unit (see `motcua unit list`): it sees and files only there. [default:
        /// none, the whole deployment]
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `motcua token create`.
pub(crate) async fn run(command: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create {
        role,
        tax_code,
        id_number,
        agency,
        branches,
        name,
        unit,
        store,
    } = command;
    let role = Role::parse(&role).with_context(|| {
        format!("unknown role {role:?} (business, citizen, officer, archivist, admin)")
    })?;
    let mut request = NewToken {
        role,
        tax_code: tax_code
            .map(|t| TaxCode::parse(&t))
            .transpose()
            .map_err(|e| anyhow::anyhow!("--tax-code: {}", e.rule))?,
        id_number: id_number
            .map(|n| IdNumber::parse(&n))
            .transpose()
            .map_err(|e| anyhow::anyhow!("--id-number: {}", e.rule))?,
        agency,
        name,
        branches,
        unit: unit
            .map(|u| motcua::vocabulary::UnitCode::parse(u.trim()))
            .transpose()
            .map_err(|e| anyhow::anyhow!("--unit: {}", e.rule))?,
    };
    // The unit code and the catalogue come from the same config file as the store.
    let serve = ServeArgs {
        store,
        ..ServeArgs::default()
    }
    .resolve()?;
    // The agency is checked against the catalogue in force, as the API does: the
    // built-in (or --procedures) one, or the one an administrator published.
    let dossiers = motcua::app::open_dossiers(&serve).await?;
    let db = dossiers.db().clone();
    dossiers.refresh_catalogue().await?;
    let catalogue = dossiers.catalogue();
    let units = dossiers.units().list().await?;
    request.validate(
        &|agency| catalogue.iter().any(|p| p.agency == agency),
        &|code| units.iter().any(|u| u.code.as_str() == code),
    )?;
    let secret = motcua::app::create_token(&db, &request).await?;
    let role = request.role.as_str();
    let article = if role.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    println!("created {article} {role} token; keep it secret, it is shown only once:");
    println!("{secret}");
    Ok(())
}
