//! The command line: every subcommand and option, with `TALLINN_*`
//! environment variables for the global options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "tallinn", version, about = "Coordination of civil cyber assistance to Ukraine: needs, pledges, allocations, flows and their audit trail.")]
pub struct Cli {
    /// The store: sqlite://PATH (created on first use) or postgres://...
    #[arg(long, global = true, env = "TALLINN_DATABASE_URL", default_value = crate::store::DEFAULT_URL)]
    pub database: String,

    /// Act as this user (its role and organisation apply). Without it, the
    /// command acts as the operator of this installation (the project office).
    #[arg(long = "as", global = true, env = "TALLINN_AS", value_name = "USER")]
    pub as_user: Option<String>,

    /// Log format on stderr (levels via TALLINN_LOG, e.g. info or tallinn_http=debug).
    #[arg(long, global = true, env = "TALLINN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or migrate the store and load the reference data.
    Init {
        /// Also load the synthetic demo dataset.
        #[arg(long)]
        demo: bool,
    },
    /// Run the HTTP server.
    Serve(ServeArgs),
    /// A consistent copy of the whole store while it runs and is written
    /// to: on SQLite itself a store (sqlite://FILE), on PostgreSQL the
    /// export archive (`tallinn import` reads it). It holds password and
    /// token hashes and every confidential record: it is written with mode
    /// 0600.
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        output: PathBuf,
    },
    /// Organisations: members, observers, beneficiaries, implementers, the office.
    #[command(subcommand)]
    Participant(ParticipantCmd),
    /// User accounts: add, list, passwords, disable, enable, remove.
    #[command(subcommand)]
    User(UserCmd),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Reads of AMBER, AMBER+STRICT and RED records (auditors and the office).
    AccessLog {
        /// At most this many entries.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The Catalogue of needs and their lifecycle.
    #[command(subcommand)]
    Need(NeedCmd),
    /// Pledges of money or in-kind help, from announced to disbursed.
    #[command(subcommand)]
    Pledge(PledgeCmd),
    /// Allocations of committed pledges to approved needs.
    #[command(subcommand)]
    Allocation(AllocationCmd),
    /// IATI-aligned funding flows.
    #[command(subcommand)]
    Transaction(TransactionCmd),
    /// Projects that deliver funded needs: milestones, delivery, acceptance.
    #[command(subcommand)]
    Project(ProjectCmd),
    /// The register of agreements in cybersecurity and the digital state.
    #[command(subcommand)]
    Agreement(AgreementCmd),
    /// Public announcements with figures (Paris 2025).
    #[command(subcommand)]
    Announcement(AnnouncementCmd),
    /// Exchange rates.
    #[command(subcommand)]
    Fx(FxCmd),
    /// STIX 2.1 objects and patterns.
    #[command(subcommand)]
    Stix(StixCmd),
    /// The TAXII 2.1 threat exchange.
    #[command(subcommand)]
    Taxii(TaxiiCmd),
    /// Match network logs (Suricata EVE, Zeek, ECS, STIX) against indicators:
    /// one STIX sighting per indicator seen, as JSON lines.
    Detect(DetectArgs),
    /// Likely duplicate needs (any language), from a JSON file or the ledger.
    Dedup {
        /// {"needs": [{"id", "beneficiary", "title", "description", "capability", "sector", "cost_eur",
        /// "deadline" (optional, YYYY-MM-DD)}]}; without it, the open needs of the ledger you may see.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Report pairs at least this likely to be duplicates (0 to 1).
        #[arg(long, default_value_t = tallinn_allocate::dedup::DEFAULT_THRESHOLD)]
        threshold: f64,
    },
    /// The unfunded gap of approved needs you may see, ranked by urgency x threat.
    Gaps {
        /// need (default), capability, sector, beneficiary or urgency.
        #[arg(long, default_value = "need")]
        by: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Figures over what you may see: every figure, funding by one
    /// dimension (--by), one section (--view) or a chart (--chart).
    Report {
        /// Funding (committed, disbursed, spent; announced beside) grouped by
        /// donor, year, capability, sector, beneficiary or status.
        #[arg(long, value_parser = clap::value_parser!(tallinn_report::By))]
        by: Option<tallinn_report::By>,
        /// Only flows and pledges of this year in the funding figures.
        #[arg(long)]
        year: Option<i16>,
        /// One section of the report.
        #[arg(long, value_enum, conflicts_with = "by")]
        view: Option<ReportView>,
        /// An SVG chart: funding-by-year, coverage-by-sector, top-gaps, time-to-fund.
        #[arg(long, value_parser = clap::value_parser!(tallinn_report::ChartKind), conflicts_with_all = ["by", "view"])]
        chart: Option<tallinn_report::ChartKind>,
        /// Where to write the chart (default: stdout).
        #[arg(long, requires = "chart")]
        output: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The whole store as one archive (`--output FILE`), or a public
    /// export (`iati`). The archive holds password and token hashes and
    /// every confidential record: it is written with mode 0600.
    #[command(args_conflicts_with_subcommands = true)]
    Export(ExportArgs),
    /// Read an export archive into a new, empty store (either backend), in
    /// one transaction: every record as it was, the audit chain entry for
    /// entry; a damaged or truncated archive changes nothing.
    Import {
        /// The archive (`tallinn export --output`).
        #[arg(long)]
        input: PathBuf,
    },
    /// Run the allocation engine: on a JSON instance (--input, the stable
    /// offline interface), or over the ledger, saving a proposal to review;
    /// --apply applies a saved proposal.
    Allocate {
        /// The instance: {"needs": [...], "pledges": [...], "weights": {...}}.
        #[arg(long, conflicts_with = "apply")]
        input: Option<PathBuf>,
        /// Where to write the result (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Apply a saved proposal (e.g. AP-3), re-checking every line.
        #[arg(long)]
        apply: Option<String>,
    },
    /// The hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
}

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// The sections of `tallinn report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportView {
    Coverage,
    Gaps,
    Timing,
    Agreements,
    Reconciliation,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub public: Option<ExportCmd>,
    /// Write the whole store to this archive (zstd-compressed JSON lines;
    /// docs/operations.md); it must not exist.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// IATI 2.03 activities XML: one activity per funded TLP:CLEAR need.
    Iati {
        /// Where to write the file (default: stdout).
        #[arg(long)]
        output: Option<PathBuf>,
        /// The reporting organisation's IATI identifier; activity identifiers start with it.
        #[arg(long, env = "TALLINN_IATI_REPORTING_ORG", default_value = "XM-TALLINN")]
        reporting_org: String,
    },
}

#[derive(Debug, Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ParticipantCmd {
    /// List participants (members, observers, beneficiaries, implementers, office).
    List(FormatArg),
    /// Add an organisation.
    Add {
        /// The organisation's code (2-32 of A-Z, 0-9, '-').
        code: String,
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// member, observer, beneficiary, implementer or office.
        #[arg(long)]
        kind: String,
        /// The organisation it belongs to (e.g. UA for a Ukrainian institution).
        #[arg(long)]
        parent: Option<String>,
        /// YYYY, YYYY-MM or YYYY-MM-DD.
        #[arg(long)]
        joined: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user to an organisation with a role.
    Add {
        /// The user name (2-64 of a-z, 0-9, '.', '-', '_').
        name: String,
        /// The organisation's code.
        #[arg(long)]
        org: String,
        /// coordinator, beneficiary, reviewer, donor, observer, implementer, analyst or auditor.
        #[arg(long)]
        role: String,
        /// technical or strategic (reviewers only).
        #[arg(long)]
        panel: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// The users (the office and auditors).
    List(FormatArg),
    /// Set a user's password, read from the first line of standard input;
    /// every session of the account ends, on every server process.
    Passwd {
        /// The user name (2-64 of a-z, 0-9, '.', '-', '_').
        name: String,
    },
    /// Disable an account: its sessions end, its password and tokens stop
    /// working at once; `enable` restores it.
    Disable {
        /// The user name (2-64 of a-z, 0-9, '.', '-', '_').
        name: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The user name (2-64 of a-z, 0-9, '.', '-', '_').
        name: String,
    },
    /// Remove an account for good: password and tokens gone, sessions
    /// ended; the name stays in the records it signed and is not reused.
    Remove {
        /// The user name (2-64 of a-z, 0-9, '.', '-', '_').
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StixCmd {
    /// Validate objects, lists of objects or bundles; exit 1 naming every problem.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Match a pattern against observations: STIX 2.1 bundles (one, or a
    /// list) or STIX 2.0 observed-data (one, or a list). Prints "match" and
    /// the ids of the matching observed-data, or "no match".
    Match {
        /// A STIX pattern, e.g. [ipv4-addr:value = '198.51.100.1'].
        #[arg(long)]
        pattern: String,
        #[arg(long, default_value = "2.1", value_parser = ["2.0", "2.1"])]
        stix_version: String,
        /// The CSV file (header on line 1).
        file: PathBuf,
    },
    /// Match many patterns: JSON lines on stdin, each {"pattern", "stix_version",
    /// "observations"}; one JSON line out per line in, in order:
    /// {"matched", "sdo_ids"} or {"error": "parse"|"match", "message"}.
    MatchBatch,
}

#[derive(Debug, Subcommand)]
pub enum TaxiiCmd {
    /// TAXII collections.
    #[command(subcommand)]
    Collection(CollectionCmd),
}

#[derive(Debug, Subcommand)]
pub enum CollectionCmd {
    /// Create a collection and say which organisations' analysts may read
    /// and write it.
    Add {
        /// The title (at most 200 characters).
        #[arg(long)]
        title: String,
        /// A description.
        #[arg(long)]
        description: Option<String>,
        /// A short name usable in URLs in place of the id (a-z, 0-9, '-').
        #[arg(long)]
        alias: Option<String>,
        /// `all` (every analyst) or participant codes, comma-separated.
        #[arg(long, default_value = "all")]
        read: String,
        /// `all` (every analyst) or participant codes, comma-separated.
        #[arg(long, default_value = "all")]
        write: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The collections you may read or write.
    List(FormatArg),
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a token for a user; it is printed once and stored only as a hash.
    Create {
        /// The user name.
        user: String,
        /// Days until the token expires (1-3650; default: never).
        #[arg(long)]
        expires_days: Option<i64>,
    },
    /// API tokens, without their secrets.
    List(FormatArg),
    /// Revoke a token by its id (see `token list`).
    Revoke {
        /// The token's id (see `token list`).
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum NeedCmd {
    /// File a need (as a draft).
    Add(Box<NeedAdd>),
    /// List the needs you may see.
    List {
        /// Only needs in this status: draft, submitted, technical_review, strategic_review, approved, partially_funded, funded, in_delivery, delivered, accepted, rejected or withdrawn.
        #[arg(long)]
        status: Option<String>,
        /// Only needs of this capability area: detect, impose_cost, remediate, resilience, digital_state or connectivity.
        #[arg(long)]
        capability: Option<String>,
        /// Only needs of this sector: government, energy, telecom, finance, health, transport, water, defence_industry, education, media, local_government or other.
        #[arg(long)]
        sector: Option<String>,
        /// Only needs of this urgency: critical, high, medium or low.
        #[arg(long)]
        urgency: Option<String>,
        /// Only needs of this beneficiary institution (code).
        #[arg(long)]
        beneficiary: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show one need with its history and reviews.
    Show {
        /// The need's id, e.g. N-12.
        id: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// draft → submitted.
    Submit {
        /// The need's id, e.g. N-12.
        id: String,
    },
    /// Triage a submitted need: send it to the technical panel, or reject it.
    Triage {
        /// The need's id, e.g. N-12.
        id: String,
        /// Reject the need instead (give --comment).
        #[arg(long)]
        reject: bool,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Score a need for your panel (use --as REVIEWER).
    Review {
        /// The need's id, e.g. N-12.
        id: String,
        /// technical or strategic.
        #[arg(long)]
        panel: String,
        /// approve, reject or abstain.
        #[arg(long)]
        decision: String,
        /// Feasibility score, 0-5 (technical panel).
        #[arg(long)]
        feasibility: Option<u8>,
        /// Relevance score, 0-5 (technical panel).
        #[arg(long)]
        relevance: Option<u8>,
        /// Strategic importance score, 0-5 (strategic panel).
        #[arg(long)]
        importance: Option<u8>,
        #[arg(long, default_value = "")]
        comment: String,
        /// Declare a conflict of interest (the review must then abstain).
        #[arg(long)]
        conflict_of_interest: bool,
    },
    /// Reserve an approved need for a donor (default 30 days).
    Reserve {
        /// The need's id, e.g. N-12.
        id: String,
        /// The donor organisation (default: yours).
        #[arg(long)]
        donor: Option<String>,
        /// How many days the reservation lasts (1-90; default 30).
        #[arg(long)]
        days: Option<i64>,
    },
    /// Withdraw a need (before it is funded), saying why.
    Withdraw {
        /// The need's id, e.g. N-12.
        id: String,
        /// Why (recorded in the need's history).
        #[arg(long)]
        reason: String,
    },
    /// Import needs from CSV, all or nothing.
    Import {
        /// The CSV file (header on line 1).
        file: PathBuf,
    },
    /// Record the verdict on a pair found by `tallinn dedup`.
    Relate {
        /// One need's id.
        a: String,
        /// The other need's id.
        b: String,
        /// duplicate or complementary.
        #[arg(long)]
        relation: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Args)]
pub struct NeedAdd {
    /// The beneficiary institution's code.
    #[arg(long)]
    pub beneficiary: String,
    /// The title (at most 200 characters).
    #[arg(long)]
    pub title: String,
    /// A description.
    #[arg(long, default_value = "")]
    pub description: String,
    /// The capability area: detect, impose_cost, remediate, resilience, digital_state or connectivity.
    #[arg(long)]
    pub capability: String,
    /// The sector: government, energy, telecom, finance, health, transport, water, defence_industry, education, media, local_government or other.
    #[arg(long)]
    pub sector: String,
    /// critical, high, medium or low.
    #[arg(long)]
    pub urgency: String,
    /// Estimated cost in EUR, e.g. 125000.00.
    #[arg(long, allow_hyphen_values = true)]
    pub cost: String,
    /// The need can only be funded whole.
    #[arg(long)]
    pub all_or_nothing: bool,
    /// The date it is needed by, YYYY-MM-DD.
    #[arg(long)]
    pub deadline: Option<String>,
    /// TLP 2.0 level: clear, green, amber, amber+strict or red.
    #[arg(long)]
    pub tlp: String,
    /// An organisation that may read an AMBER need (repeatable).
    #[arg(long = "share-org")]
    pub share_orgs: Vec<String>,
    /// A user who may read a RED or AMBER+STRICT need (repeatable).
    #[arg(long = "share-user")]
    pub share_users: Vec<String>,
    /// A tag (repeatable; no spaces, ';' or ',').
    #[arg(long = "tag")]
    pub tags: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum PledgeCmd {
    /// Record a pledge (announced; not counted until committed).
    Add(Box<PledgeAdd>),
    /// List the pledges you may see.
    List {
        /// Only pledges of this donor (code).
        #[arg(long)]
        donor: Option<String>,
        /// Only pledges in this status: announced, committed, disbursed or cancelled.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// announced → committed: the pledge now counts in the totals.
    Commit {
        /// The pledge's id, e.g. P-4.
        id: String,
    },
    /// committed → disbursed.
    Disburse {
        /// The pledge's id, e.g. P-4.
        id: String,
    },
    /// Cancel a pledge that has no allocations.
    Cancel {
        /// The pledge's id, e.g. P-4.
        id: String,
    },
    /// Import money pledges from CSV, all or nothing.
    Import {
        /// The CSV file (header on line 1).
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct PledgeAdd {
    /// The donor organisation's code.
    #[arg(long)]
    pub donor: String,
    /// The title (at most 200 characters).
    #[arg(long)]
    pub title: String,
    /// Amount in the currency, e.g. 500000.00; for in-kind help it may be
    /// left out (the items' total), and if given must equal that total.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: Option<String>,
    #[arg(long, default_value = "EUR")]
    pub currency: String,
    /// The day of the pledge (its EUR value uses that day's rate).
    #[arg(long)]
    pub date: String,
    #[arg(long = "budget-year")]
    pub budget_years: Vec<i16>,
    #[arg(long = "capability")]
    pub capabilities: Vec<String>,
    #[arg(long = "sector")]
    pub sectors: Vec<String>,
    #[arg(long = "beneficiary")]
    pub beneficiaries: Vec<String>,
    /// TLP 2.0 level: clear, green, amber, amber+strict or red.
    #[arg(long)]
    pub tlp: String,
    /// An organisation that may read an AMBER need (repeatable).
    #[arg(long = "share-org")]
    pub share_orgs: Vec<String>,
    /// A user who may read a RED or AMBER+STRICT pledge (repeatable; the
    /// recording user always may).
    #[arg(long = "share-user")]
    pub share_users: Vec<String>,
    /// In-kind item as DESCRIPTION:QUANTITY:UNIT_VALUE (makes an in-kind pledge).
    #[arg(long = "item")]
    pub items: Vec<String>,
    /// market_price (default), donor_cost or replacement_cost.
    #[arg(long)]
    pub valuation: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AllocationCmd {
    /// Allocate part of a pledge to a need (EUR).
    Add {
        /// The pledge's id, e.g. P-4.
        #[arg(long)]
        pledge: String,
        /// The need's id, e.g. N-12.
        #[arg(long)]
        need: String,
        /// The amount, e.g. 250000.00.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
    },
    /// The allocations whose need and pledge you may see.
    List(FormatArg),
}

#[derive(Debug, Subcommand)]
pub enum TransactionCmd {
    /// Record a flow, with its EUR value at the value date's rate.
    Add(Box<TransactionAdd>),
    /// List the flows you may see.
    List {
        /// Only flows of this kind.
        #[arg(long)]
        kind: Option<String>,
        /// Only this year (value dates).
        #[arg(long)]
        year: Option<i16>,
        /// At most this many entries.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Import transactions from CSV, all or nothing.
    Import {
        /// The CSV file (header on line 1).
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct TransactionAdd {
    /// incoming_pledge, outgoing_pledge, commitment, disbursement, expenditure, incoming_funds.
    #[arg(long)]
    pub kind: String,
    /// The organisation the money comes from (code).
    #[arg(long)]
    pub provider: String,
    /// The organisation the money goes to (code).
    #[arg(long)]
    pub receiver: String,
    /// Value date, YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
    /// The amount, e.g. 250000.00.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    #[arg(long, default_value = "EUR")]
    pub currency: String,
    /// The pledge's id, e.g. P-4.
    #[arg(long)]
    pub pledge: Option<String>,
    /// The need's id, e.g. N-12.
    #[arg(long)]
    pub need: Option<String>,
    /// The transaction this one passes on (counted once, at its origin).
    #[arg(long)]
    pub pass_through_of: Option<String>,
    /// A description.
    #[arg(long, default_value = "")]
    pub description: String,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Start a project that delivers a funded need.
    Add {
        /// The need's id, e.g. N-12.
        #[arg(long)]
        need: String,
        /// The implementer's organisation code.
        #[arg(long)]
        implementer: String,
        /// The title (at most 200 characters).
        #[arg(long)]
        title: String,
        /// Delivery item as DESCRIPTION:QUANTITY.
        #[arg(long = "item")]
        items: Vec<String>,
    },
    /// The projects whose need you may see.
    List(FormatArg),
    /// Plan or complete milestones.
    #[command(subcommand)]
    Milestone(MilestoneCmd),
    /// Report the project delivered (all milestones complete).
    Deliver {
        /// The project's id, e.g. PR-2.
        id: String,
    },
    /// Sign the acceptance (as a user of the beneficiary institution).
    Accept {
        /// The project's id, e.g. PR-2.
        id: String,
        /// What was received, in the acceptance's words.
        #[arg(long)]
        statement: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MilestoneCmd {
    /// Plan a milestone of a project in delivery.
    Add {
        /// The project's id, e.g. PR-2.
        project: String,
        /// The title (at most 200 characters).
        #[arg(long)]
        title: String,
        /// The due date, YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
    },
    /// Complete a milestone.
    Complete {
        /// The project's id, e.g. PR-2.
        project: String,
        /// The milestone's id, e.g. M-3.
        milestone: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgreementCmd {
    /// Register an agreement with its parties and the pledges it covers.
    Add {
        /// The title (at most 200 characters).
        #[arg(long)]
        title: String,
        #[arg(long = "party", required = true)]
        parties: Vec<String>,
        /// cybersecurity or digital_state.
        #[arg(long)]
        domain: String,
        /// negotiating, signed, in_force, expired, terminated.
        #[arg(long)]
        status: String,
        /// The signing date, YYYY-MM-DD (required once signed).
        #[arg(long)]
        signed_on: Option<String>,
        #[arg(long = "pledge")]
        pledges: Vec<String>,
    },
    /// The agreements register.
    List(FormatArg),
}

#[derive(Debug, Subcommand)]
pub enum AnnouncementCmd {
    /// The announcements, with their figures and endorsers.
    List(FormatArg),
}

#[derive(Debug, Subcommand)]
pub enum FxCmd {
    /// Import an ECB reference-rate CSV (Date,USD,JPY,...).
    Import {
        /// The ECB file: eurofxref-hist.csv or eurofxref.csv, as published.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Recompute the hash chain; exit 1 naming the first bad entry.
    Verify,
    /// List entries, newest first.
    Log {
        /// At most this many entries.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Only entries about this entity kind or id (e.g. need, N-12).
        #[arg(long)]
        entity: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `tallinn detect`.
#[derive(Debug, Clone, clap::Args)]
pub struct DetectArgs {
    /// Indicators: a STIX bundle, a list of objects or JSON lines of them
    /// (repeatable); other objects are ignored, expired or unparseable
    /// indicators skipped and counted.
    #[arg(long = "indicators", value_name = "FILE", required_unless_present = "collection")]
    pub indicators: Vec<PathBuf>,
    /// Also the indicators of this TAXII collection (id or alias) that the
    /// acting user (--as) may read, TLP enforced as on TAXII.
    #[arg(long, value_name = "ALIAS")]
    pub collection: Option<String>,
    /// Store the sightings in --collection, through the checks of a TAXII
    /// upload; a sighting of an indicator the whole organisation may not
    /// read is stored RED for the acting user alone.
    #[arg(long, requires = "collection")]
    pub post: bool,
    /// Events, one JSON object per line: a file (.gz and .zst are read
    /// transparently) or - for standard input (repeatable; default -); or,
    /// alone, a NATS JetStream stream, nats://HOST:PORT/SUBJECT, read through
    /// a durable consumer that several workers share (see the detection guide).
    #[arg(long = "input", value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// The log format: auto (decided for each line), suricata, zeek, ecs or stix.
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// Where the sightings go, one JSON line each: a file, or - for standard output.
    #[arg(long, default_value = "-")]
    pub output: PathBuf,
    /// The sighting organisation's participant code: its STIX identity is
    /// the sightings' where_sighted_refs and created_by_ref (default: the
    /// acting user's organisation, else the project office).
    #[arg(long, value_name = "CODE")]
    pub organisation: Option<String>,
    /// The sector of the networks the logs come from (with --post: stored as
    /// the sighting organisation's STIX identity, so that the sightings
    /// raise the threat factor of needs in that sector; repeatable).
    #[arg(long = "sector", value_name = "SECTOR", requires = "post")]
    pub sectors: Vec<String>,
    /// Keep reading the input files as they grow (rotation and truncation
    /// handled, as `tail -F`), writing (and with --post storing) every
    /// --interval seconds the sightings whose counts changed, until SIGINT
    /// or SIGTERM.
    #[arg(long)]
    pub follow: bool,
    /// With --follow or a nats:// input: seconds between writes of the
    /// changed sightings.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub interval: u64,
    /// How long, in seconds, a compound indicator (observation expressions
    /// joined by AND or FOLLOWEDBY, or repeated) waits for the rest of a
    /// match, when its pattern sets no outer WITHIN (1 second to 30 days).
    #[arg(long, value_name = "SECS", default_value_t = tallinn_detect::correlate::DEFAULT_WINDOW_SECONDS,
          value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    pub window: u64,
    /// No progress bar and no summary on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// `tallinn serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address and port to listen on.
    #[arg(long, env = "TALLINN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The address users reach the server at (behind a proxy), e.g.
    /// https://tallinn.example.org; with https, session cookies are Secure.
    // The text is the option's --help as well: a plain address reads best there.
    #[allow(rustdoc::bare_urls)]
    #[arg(long, env = "TALLINN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Initialise the demo dataset if the store has none.
    #[arg(long)]
    pub demo: bool,
    /// Serve a store that must not change (a backup, a snapshot): it is
    /// opened read-only, every change is answered 503, and so is a read of
    /// AMBER or RED records, which cannot be written to the access log.
    #[arg(long, conflicts_with = "demo")]
    pub read_only: bool,
    /// Buffer the access log of TAXII reads for up to MS milliseconds
    /// (at most 1000): responses no longer wait for their entries'
    /// commit, and a crash may lose the last MS ms of entries. 0 (the
    /// default): each read is committed before it is answered.
    #[arg(long = "access-log-window", env = "TALLINN_ACCESS_LOG_WINDOW_MS", value_name = "MS", default_value_t = 0)]
    pub access_log_window_ms: u64,
    /// Close a connection whose request headers have not arrived SECS
    /// seconds after it began waiting for them (new or kept alive).
    #[arg(long = "header-timeout", env = "TALLINN_HEADER_TIMEOUT_SECS", value_name = "SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Connections open at once; more are closed as they arrive.
    #[arg(long = "max-connections", env = "TALLINN_MAX_CONNECTIONS", value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
    /// Connections open at once from one client address (trusted
    /// proxies excepted).
    #[arg(long = "max-connections-per-address", env = "TALLINN_MAX_CONNECTIONS_PER_ADDRESS", value_name = "N", default_value_t = 64)]
    pub max_connections_per_address: usize,
    /// The bearer token a Prometheus scraper sends for /metrics; without
    /// one, only signed-in coordinators and auditors read the metrics.
    #[arg(long = "metrics-token", env = "TALLINN_METRICS_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// A proxy in front of this server (repeatable, or comma-separated
    /// in the environment): its X-Forwarded-For names the client.
    #[arg(long = "trusted-proxy", env = "TALLINN_TRUSTED_PROXIES", value_name = "ADDR", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}
