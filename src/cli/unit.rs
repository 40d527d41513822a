//! `motcua unit`: add, list and publish the administrative units, as administrators do over the
//! API (every change logged).

use motcua::config::{ServeArgs, StoreArgs};
use motcua::unit::{Actor, NewUnit, Unit};
use motcua::vocabulary::UnitLevel;

#[derive(clap::Subcommand)]
pub(crate) enum UnitCommand {
    /// Add a unit. Its code is fixed for good: it begins the codes of the dossiers it receives.
    Add {
        /// 1 to 32 letters, digits or dots, e.g. HN.BD.
        #[arg(long)]
        code: String,
        /// Its Vietnamese name, e.g. "Quận Ba Đình".
        #[arg(long)]
        name: String,
        /// The code of the unit above it.
        #[arg(long)]
        parent: Option<String>,
        /// province, district, commune, department or agency. [default: one tier below the
        /// parent; a province at the top]
        #[arg(long)]
        level: Option<UnitLevel>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the units, as a tree (or JSON with --json).
    List {
        /// One JSON array, as `GET /api/v1/units` answers.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Publish the whole set from a TOML file (`[[unit]]` tables with code, name, level,
    /// parent): new units added, changed names renamed; every existing unit must be listed.
    Publish {
        /// The file.
        file: std::path::PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `motcua unit`.
pub(crate) async fn run(command: UnitCommand) -> anyhow::Result<()> {
    let store = match &command {
        UnitCommand::Add { store, .. }
        | UnitCommand::List { store, .. }
        | UnitCommand::Publish { store, .. } => store.clone(),
    };
    let settings = ServeArgs {
        store,
        ..ServeArgs::default()
    }
    .resolve()?;
    let dossiers = motcua::app::open_dossiers(&settings).await?;
    let units = dossiers.units();
    match command {
        UnitCommand::Add {
            code,
            name,
            parent,
            level,
            ..
        } => {
            let unit = units
                .add(
                    Actor::Cli,
                    NewUnit {
                        code,
                        name,
                        level,
                        parent,
                    },
                )
                .await?;
            println!(
                "added {} {} ({}){}",
                unit.level,
                unit.code.as_str(),
                unit.name,
                unit.parent
                    .map(|p| format!(" under {}", p.as_str()))
                    .unwrap_or_default()
            );
        }
        UnitCommand::List { json, .. } => {
            let all = units.list().await?;
            if json {
                let rows: Vec<serde_json::Value> = all
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "code": u.code.as_str(),
                            "name": u.name,
                            "level": u.level.as_str(),
                            "level_vi": u.level.name_vi(),
                            "parent": u.parent.as_ref().map(|p| p.as_str()),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else {
                print_tree(&all, None, 0);
            }
        }
        UnitCommand::Publish { file, .. } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
            let all = units.publish(Actor::Cli, &text).await?;
            println!("published: {} units", all.len());
        }
    }
    Ok(())
}

/// Each unit under its parent, indented.
fn print_tree(units: &[Unit], parent: Option<&str>, depth: usize) {
    for unit in units
        .iter()
        .filter(|u| u.parent.as_ref().map(|p| p.as_str()) == parent)
    {
        println!(
            "{}{}  {}  [{}]",
            "  ".repeat(depth),
            unit.code.as_str(),
            unit.name,
            unit.level
        );
        print_tree(units, Some(unit.code.as_str()), depth + 1);
    }
}
