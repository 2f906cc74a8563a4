//! Command-line definitions (clap) and dispatch to the stages; no logic of its own beyond resolving paths and printing reports.

mod analytics;
mod dev;
mod export;
mod global;
mod logging;
mod pairs;
mod print;
mod review;
mod stats;
mod view;

use global::Global;

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::Result;
use crate::catalog::Query;
use crate::catalog::import::{self, ImportFormat, ImportOptions};
use crate::config::Config;
use crate::generate::GeneratePaths;
use crate::pipeline::{self, names};
use crate::profiles;

/// musegen: MUSE-style conversational-recommendation data, from catalog to training files.
#[derive(Debug, Parser)]
#[command(name = "musegen", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The main job: sample catalog, profiles, conversations, into --out.
    Run {
        /// Conversations to generate (same as --set dialogue.sessions=N).
        #[arg(long)]
        sessions: Option<usize>,
        /// Profiles (simulated users) to draw (same as --set profiles.count=M).
        #[arg(long)]
        users: Option<usize>,
        /// Resume even if the settings changed since the output was started.
        #[arg(long)]
        force: bool,
    },
    /// Build, import, inspect and search item catalogs.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Generate scenario-grounded profiles (or import MUSE ones with `profiles import`).
    Profiles(ProfilesArgs),
    /// Play one conversation per session with the offline agents; resumable.
    Generate(GenerateArgs),
    /// Preference pairs of the conversations (the kept set when there is one) into DIR/pairs.jsonl, per sound
    /// recommendation (sources and kinds: export.dpo); resumable. `export dpo` renders them.
    Pairs(pairs::PairsArgs),
    /// Write training files from the conversations (the kept set when there is one).
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Review conversations: offline metrics, the judge (roles.judge), the keep rule, the kept set and the quality
    /// report; resumable. `--out` names the reviews file (DIR/reviews.jsonl by default).
    Review(review::ReviewArgs),
    /// Does the data match the config? Observed vs configured distributions with a goodness-of-fit test each,
    /// written to DIR/stats.json and DIR/stats.md.
    Stats(stats::StatsArgs),
    /// Write a viewer of the run folder (DIR, default --out) into DIR/viewer/: open DIR/viewer/index.html in a
    /// browser, from the file, with no server.
    View(view::ViewArgs),
    /// Show the effective config or its JSON Schema.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Developer tools.
    #[command(subcommand)]
    Dev(dev::DevCommand),
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Import items from MUSE item-profile JSON, MUSE user_scenarios.json, JSON Lines or CSV.
    Import {
        /// Input file.
        #[arg(long = "from", value_name = "PATH")]
        from: PathBuf,
        /// Input format.
        #[arg(long, value_enum, default_value = "auto")]
        format: ImportFormat,
        /// Catalog index to write (default: DIR/catalog.db).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Add to an existing index instead of replacing it.
        #[arg(long)]
        append: bool,
        /// Fail on the first skipped row (exit 2) instead of skipping it.
        #[arg(long)]
        strict: bool,
    },
    /// Build the deterministic sample catalog.
    Sample {
        /// Items (same as --set catalog.sample_items=N).
        #[arg(long)]
        items: Option<usize>,
        /// Catalog index to write (default: DIR/catalog.db).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Also write the items as JSON Lines here.
        #[arg(long, value_name = "PATH")]
        jsonl: Option<PathBuf>,
    },
    /// Counts, categories, prices and ratings of an index.
    Stats {
        /// Catalog index (default: DIR/catalog.db).
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// BM25 search with filters.
    Search {
        /// Free text (may be empty to browse by filters).
        query: String,
        /// Category label or sub-path ("Footwear", "Women > Shoes").
        #[arg(long)]
        category: Option<String>,
        /// Lowest price.
        #[arg(long)]
        min_price: Option<f64>,
        /// Highest price.
        #[arg(long)]
        max_price: Option<f64>,
        /// Lowest rating.
        #[arg(long)]
        min_rating: Option<f64>,
        /// Item ids to leave out (comma-separated or repeated).
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        /// Results to show (default: catalog.search_limit).
        #[arg(long)]
        limit: Option<usize>,
        /// Catalog index (default: DIR/catalog.db).
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Category list with counts, and the category → item ids map (MUSE category2items.json).
    Categories {
        /// Leave out categories with fewer items (default: catalog.min_category_items).
        #[arg(long)]
        min_items: Option<usize>,
        /// Where to write the map (default: DIR/category2items.json).
        #[arg(long, value_name = "PATH")]
        map: Option<PathBuf>,
        /// Catalog index (default: DIR/catalog.db).
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Write every item of an index as JSON Lines.
    Export {
        /// Output file.
        #[arg(long, value_name = "PATH")]
        jsonl: PathBuf,
        /// Catalog index (default: DIR/catalog.db).
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct ProfilesArgs {
    #[command(subcommand)]
    import: Option<ProfilesCommand>,
    /// Profiles to write (same as --set profiles.count=N).
    #[arg(long)]
    count: Option<usize>,
    /// Catalog index to draw targets from (default: DIR/catalog.db).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Output file (default: DIR/profiles.jsonl).
    #[arg(long, value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Profiles to play (default: DIR/profiles.jsonl).
    #[arg(long, value_name = "PATH")]
    profiles: Option<PathBuf>,
    /// Catalog index (default: DIR/catalog.db).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Failures file (default: beside the output, failures.jsonl).
    #[arg(long, value_name = "PATH")]
    failures: Option<PathBuf>,
    /// Conversations to generate (same as --set dialogue.sessions=N; 0 = one per profile).
    #[arg(long)]
    sessions: Option<usize>,
    /// Also write MUSE's detail_convs/ and convs/ folders beside the output.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: OutputFormat,
    /// Resume even if the settings changed since the output was started.
    #[arg(long)]
    force: bool,
}

/// Extra output shapes of `generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// conversations.jsonl only.
    Jsonl,
    /// conversations.jsonl plus MUSE's detail_convs/ and convs/.
    Muse,
}

#[derive(Debug, Subcommand)]
enum ProfilesCommand {
    /// Import MUSE user_scenarios.json into profile records, adding the target items to the catalog.
    Import {
        /// The MUSE scenarios file.
        #[arg(long, value_name = "PATH")]
        muse: PathBuf,
        /// Catalog index the target items go into (default: DIR/catalog.db; created if missing).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Output file (default: DIR/profiles.jsonl).
        #[arg(long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective config (file + --set overrides + defaults) as TOML.
    Show,
    /// Print the config's JSON Schema.
    Schema,
}

/// Parse the command line and run it; returns the process exit code.
pub fn main() -> i32 {
    crate::secret::register_environment();
    let cli = Cli::parse();
    let g = &cli.global;
    let logging = logging::init(g.verbose, g.quiet, g.log_file.as_deref(), g.progress_every);
    match logging.and_then(|()| dispatch(&cli)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {}", crate::secret::scrub(&e.to_string()));
            e.exit_code()
        }
    }
}

fn dispatch(cli: &Cli) -> Result<()> {
    let g = &cli.global;
    match &cli.command {
        Command::Run {
            sessions,
            users,
            force,
        } => {
            let cfg = g
                .load_with(|c| {
                    if let Some(n) = sessions {
                        c.dialogue.sessions = *n;
                    }
                    if let Some(n) = users {
                        c.profiles.count = at_least_one("--users", *n)?;
                    }
                    Ok(())
                })?
                .config;
            let dir = g.dir();
            let _lock = g.lock(&dir, "musegen run")?;
            let manifest = pipeline::run(&cfg, &dir, *force, g.quiet, g.dry_run)?;
            print::run(&manifest, &dir, g.json)?;
            let mut failed = Vec::new();
            if let Some(p) = manifest.profiles.as_ref().filter(|p| {
                p.failed > 0 && manifest.this_run.profiles == pipeline::StepAction::Made
            }) {
                failed.push(format!(
                    "{} of {} profiles failed; see {}",
                    p.failed,
                    p.failed + p.written,
                    dir.join(names::PROFILE_FAILURES).display()
                ));
            }
            if let Some(r) = manifest.generate.as_ref().filter(|r| r.this_run.failed > 0) {
                failed.push(format!(
                    "{} of {} conversations failed; see {}",
                    r.this_run.failed,
                    r.total,
                    dir.join(names::FAILURES).display()
                ));
            }
            if failed.is_empty() {
                Ok(())
            } else {
                Err(crate::Error::Run(failed.join("; ")))
            }
        }
        Command::Generate(args) => generate(g, args),
        Command::Review(args) => review::review(g, args),
        Command::Pairs(args) => pairs::pairs(g, args),
        Command::Export(e) => export::export(g, e),
        Command::Stats(args) => stats::stats(g, args),
        Command::View(args) => view::view(g, args),
        Command::Catalog(c) => catalog(g, c),
        Command::Profiles(p) => profiles_cmd(g, p),
        Command::Config(ConfigCommand::Show) => {
            let loaded = g.loaded()?;
            print::config(&loaded)
        }
        Command::Dev(d) => dev::dev(d),
        Command::Config(ConfigCommand::Schema) => {
            println!("{}", Config::json_schema());
            Ok(())
        }
    }
}

fn catalog(g: &Global, command: &CatalogCommand) -> Result<()> {
    match command {
        CatalogCommand::Import {
            from,
            format,
            catalog,
            append,
            strict,
        } => {
            let cfg = g.loaded()?.config;
            let target = g.path(catalog, names::CATALOG);
            let _lock = g.lock(&Global::folder_of(&target), "musegen catalog import")?;
            let opts = ImportOptions {
                format: *format,
                max_field_chars: cfg.catalog.max_field_chars.get(),
                strict: *strict,
            };
            let report = import::import_file(from, &target, *append, &opts)?;
            print::import(&report, from, &target, g.json)
        }
        CatalogCommand::Sample {
            items,
            catalog,
            jsonl,
        } => {
            let cfg = g
                .load_with(|c| {
                    if let Some(n) = items {
                        c.catalog.sample_items = at_least_one("--items", *n)?;
                    }
                    Ok(())
                })?
                .config;
            let target = g.path(catalog, names::CATALOG);
            let _lock = g.lock(&Global::folder_of(&target), "musegen catalog sample")?;
            let report = pipeline::build_sample_catalog(&cfg, &target, jsonl.as_deref(), g.quiet)?;
            print::sample(&report, &target, g.json)
        }
        CatalogCommand::Stats { catalog } => {
            let index = crate::catalog::Index::open(&g.path(catalog, names::CATALOG))?;
            print::stats(&index.stats()?, g.json)
        }
        CatalogCommand::Search {
            query,
            category,
            min_price,
            max_price,
            min_rating,
            exclude,
            limit,
            catalog,
        } => {
            let cfg = g.loaded()?.config;
            let index = crate::catalog::Index::open(&g.path(catalog, names::CATALOG))?;
            let q = Query {
                text: query.clone(),
                category: category.clone(),
                min_price: *min_price,
                max_price: *max_price,
                min_rating: *min_rating,
                exclude: exclude
                    .iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
                limit: limit.unwrap_or(cfg.catalog.search_limit.get()),
            };
            let started = std::time::Instant::now();
            let hits = index.search(&q)?;
            print::search(&hits, started.elapsed(), g.json)
        }
        CatalogCommand::Categories {
            min_items,
            map,
            catalog,
        } => {
            let cfg = g.loaded()?.config;
            let map_path = g.path(map, names::CATEGORY_MAP);
            let _lock = g.lock(&Global::folder_of(&map_path), "musegen catalog categories")?;
            let min = min_items.unwrap_or(cfg.catalog.min_category_items);
            let (map, counts) = pipeline::extract_categories(
                &cfg,
                &g.path(catalog, names::CATALOG),
                min,
                Some(&map_path),
            )?;
            print::categories(&map, &counts, min, &map_path, g.json)
        }
        CatalogCommand::Export { jsonl, catalog } => {
            let _lock = g.lock(&Global::folder_of(jsonl), "musegen catalog export")?;
            let n = pipeline::export_catalog(&g.path(catalog, names::CATALOG), jsonl)?;
            print::line(
                g.json,
                &format!("wrote {n} items to {}", jsonl.display()),
                &serde_json::json!({"items": n}),
            )
        }
    }
}

fn profiles_cmd(g: &Global, args: &ProfilesArgs) -> Result<()> {
    match &args.import {
        Some(ProfilesCommand::Import {
            muse,
            catalog,
            output,
        }) => {
            let cfg = g.loaded()?.config;
            let catalog = g.path(catalog, names::CATALOG);
            let output = g.path(output, names::PROFILES);
            let _lock = g.lock(&Global::folder_of(&output), "musegen profiles import")?;
            let imported = profiles::muse::read(muse, cfg.catalog.max_field_chars.get())?;
            let added = import::add_items(&catalog, &imported.items)?;
            write_profiles(&output, &imported.profiles)?;
            print::muse_import(&imported, added, &catalog, &output, g.json)
        }
        None => {
            let cfg = g
                .load_with(|c| {
                    if let Some(n) = args.count {
                        c.profiles.count = at_least_one("--count", n)?;
                    }
                    Ok(())
                })?
                .config;
            let catalog = g.path(&args.catalog, names::CATALOG);
            let output = g.path(&args.output, names::PROFILES);
            let count = cfg.profiles.count.get();
            let _lock = g.lock(&Global::folder_of(&output), "musegen profiles")?;
            let plan = crate::plan::Plan::new(cfg)?;
            if g.dry_run {
                // Priced (when a model writes the scenarios), not written.
                let scratch = output.with_extension("dry-run.jsonl");
                let report = profiles::generate(&plan, &catalog, &scratch, count, g.quiet, true);
                let _ = std::fs::remove_file(&scratch);
                return print::profiles(&report?, Path::new("(dry run: not written)"), g.json);
            }
            let report = profiles::generate(&plan, &catalog, &output, count, g.quiet, false)?;
            print::profiles(&report, &output, g.json)?;
            if report.failed > 0 {
                return Err(crate::Error::Run(format!(
                    "{} of {} profiles failed; see {}",
                    report.failed,
                    report.failed + report.written,
                    output.with_file_name(profiles::FAILURES).display()
                )));
            }
            Ok(())
        }
    }
}

fn generate(g: &Global, args: &GenerateArgs) -> Result<()> {
    let cfg = g
        .load_with(|c| {
            if let Some(n) = args.sessions {
                c.dialogue.sessions = n;
            }
            Ok(())
        })?
        .config;
    let out = g.conversations();
    let paths = GeneratePaths {
        profiles: g.path(&args.profiles, names::PROFILES),
        catalog: g.path(&args.catalog, names::CATALOG),
        failures: args
            .failures
            .clone()
            .unwrap_or_else(|| out.with_file_name(names::FAILURES)),
        out,
    };
    if g.dry_run {
        // Nothing in the output folder is written (the dialogues are played in a scratch folder): no lock.
        let plan = crate::plan::Plan::new(cfg.clone())?.with_catalog(&paths.catalog)?;
        let report = crate::generate::dry_run(&plan, &paths, g.quiet)?;
        return print::generate(&report, &paths.out, g.json);
    }
    let _lock = g.lock(&Global::folder_of(&paths.out), "musegen generate")?;
    let report = crate::generate::generate(&cfg, &paths, args.force, g.quiet)?;
    if args.format == OutputFormat::Muse {
        let dir = paths
            .out
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let n = crate::generate::muse::export(&paths.out, &paths.profiles, &paths.catalog, &dir)?;
        tracing::info!(
            "wrote MUSE detail_convs/ and convs/ for {n} conversations in {}",
            dir.display()
        );
    }
    print::generate(&report, &paths.out, g.json)?;
    if report.this_run.failed > 0 {
        return Err(crate::Error::Run(format!(
            "{} of {} conversations failed; see {}",
            report.this_run.failed,
            report.total,
            paths.failures.display()
        )));
    }
    Ok(())
}

/// A count flag that must be at least 1.
fn at_least_one(flag: &str, n: usize) -> Result<std::num::NonZeroUsize> {
    std::num::NonZeroUsize::new(n)
        .ok_or_else(|| crate::Error::Config(format!("{flag} must be at least 1")))
}

fn write_profiles(path: &Path, profiles: &[crate::model::Profile]) -> Result<()> {
    let mut file = crate::io::AtomicFile::create(path)?;
    {
        let mut w = crate::io::JsonlWriter::new(&mut file, path);
        for p in profiles {
            w.write(p)?;
        }
    }
    file.commit()
}
