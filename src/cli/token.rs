//! `motcua token create`: an API token, checked with the same rule as the token API (the agency
//! against the catalogue in force). The rights flags are shared with `motcua account create`.

use anyhow::Context as _;
use motcua::auth::{NewToken, Role};
use motcua::config::{ServeArgs, StoreArgs};
use motcua::dossier::{IdNumber, TaxCode};

/// The rights of a token or an account, as flags.
#[derive(clap::Args)]
pub(crate) struct RightsArgs {
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
    /// A business that also sees, and files for, its branches and dependent units (tax codes
    /// `<--tax-code>-NNN`).
    #[arg(long)]
    branches: bool,
    /// A display name.
    #[arg(long)]
    name: Option<String>,
    /// A staff member's unit (see `motcua unit list`): they see and file only there. [default:
    /// none, the whole deployment]
    #[arg(long)]
    unit: Option<String>,
}

impl RightsArgs {
    /// The rights, parsed (not yet checked against the catalogue and units: see [`check`]).
    pub(crate) fn parse(self) -> anyhow::Result<NewToken> {
        let role = Role::parse(&self.role).with_context(|| {
            format!(
                "unknown role {:?} (business, citizen, officer, archivist, admin)",
                self.role
            )
        })?;
        Ok(NewToken {
            role,
            tax_code: self
                .tax_code
                .map(|t| TaxCode::parse(&t))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--tax-code: {}", e.rule))?,
            id_number: self
                .id_number
                .map(|n| IdNumber::parse(&n))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--id-number: {}", e.rule))?,
            agency: self.agency,
            name: self.name,
            branches: self.branches,
            unit: self
                .unit
                .map(|u| motcua::vocabulary::UnitCode::parse(u.trim()))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--unit: {}", e.rule))?,
        })
    }
}

/// Opens the deployment `store` names and checks `rights` as the API does: the agency against
/// the catalogue in force (the built-in or --procedures one, or the one an administrator
/// published), the unit against the units. Returns the dossier service, open.
pub(crate) async fn check(
    store: StoreArgs,
    rights: &mut NewToken,
) -> anyhow::Result<motcua::dossier::DossierService> {
    // The unit code and the catalogue come from the same config file as the store.
    let serve = ServeArgs {
        store,
        ..ServeArgs::default()
    }
    .resolve()?;
    let dossiers = motcua::app::open_dossiers(&serve).await?;
    dossiers.refresh_catalogue().await?;
    let catalogue = dossiers.catalogue();
    let units = dossiers.units().list().await?;
    rights.validate(
        &|agency| catalogue.iter().any(|p| p.agency == agency),
        &|code| units.iter().any(|u| u.code.as_str() == code),
    )?;
    Ok(dossiers)
}

#[derive(clap::Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token. The token is printed as the last line; only its hash is stored.
    Create {
        #[command(flatten)]
        rights: RightsArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `motcua token create`.
pub(crate) async fn run(command: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create { rights, store } = command;
    let mut request = rights.parse()?;
    let dossiers = check(store, &mut request).await?;
    let secret = motcua::app::create_token(dossiers.db(), &request).await?;
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
