//! The OpenAPI 3.1 document of `/api/v1`, built from one table of
//! operations with JSON Schemas (2020-12) derived from the types the
//! handlers read and answer with, and the same table rendered as HTML at
//! `/api/docs` (no JavaScript, no CDN).

use std::sync::LazyLock;

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, on};
use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};
use tallinn_core::agreement::{Agreement, Announcement};
use tallinn_core::allocation::Allocation;
use tallinn_core::audit::AuditEntry;
use tallinn_core::need::Need;
use tallinn_core::participant::{Participant, User};
use tallinn_core::pledge::Pledge;
use tallinn_core::project::Project;
use tallinn_core::transaction::Transaction;
use tallinn_ledger::{AccessEntry, Duplicates, Proposal, TokenInfo};

use tallinn_report::Overview;

use crate::AppState;
use crate::api::{Page, accounts, engine, flows, needs, pledges, reports, session};

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone; the public sees TLP:CLEAR only.
    Public,
    /// Credentials required (Bearer, Basic or a session with its CSRF token).
    SignedIn,
}

/// An HTTP method of the API.
#[derive(Clone, Copy)]
enum Verb {
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    fn name(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// One operation of the API: what the document says of it, and the handler
/// the router serves it with.
struct Op {
    method: Verb,
    path: &'static str,
    summary: &'static str,
    tag: &'static str,
    access: Access,
    query: Option<Schema>,
    body: Option<Schema>,
    ok: u16,
    answer: Option<Schema>,
    errors: &'static [u16],
    route: MethodRouter<AppState>,
}

const READ: &[u16] = &[400, 401, 404];
const WRITE: &[u16] = &[400, 401, 403, 404, 409, 413, 415, 422];

fn operations(g: &mut SchemaGenerator) -> Vec<Op> {
    /// The success status and its schema, as `(status, schema)`.
    #[allow(clippy::too_many_arguments)]
    fn op<H, T>(
        method: Verb,
        path: &'static str,
        summary: &'static str,
        tag: &'static str,
        access: Access,
        (ok, answer): (u16, Option<Schema>),
        errors: &'static [u16],
        handler: H,
    ) -> Op
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Op { method, path, summary, tag, access, query: None, body: None, ok, answer, errors, route: on(method.filter(), handler) }
    }
    macro_rules! s {
        ($t:ty) => {
            Some(g.subschema_for::<$t>())
        };
    }
    use Access::*;
    use Verb::*;
    vec![
        op(
            Get,
            "/api/v1/public/summary",
            "Headline figures over TLP:CLEAR needs",
            "public",
            Public,
            (200, s!(crate::public_api::Summary)),
            &[],
            crate::public_api::summary,
        ),
        op(Get, "/api/v1/public/needs", "Every TLP:CLEAR need", "public", Public, (200, s!(Vec<Need>)), &[], crate::public_api::needs),
        Op {
            query: s!(crate::api::NameQuery),
            ..op(
                Get,
                "/api/v1/participants",
                "Members, observers, beneficiaries, implementers, the office",
                "accounts",
                Public,
                (200, s!(Page<Participant>)),
                &[],
                crate::public_api::participants,
            )
        },
        Op {
            body: s!(accounts::CreateParticipant),
            ..op(
                Post,
                "/api/v1/participants",
                "Add an organisation (coordinators)",
                "accounts",
                SignedIn,
                (201, s!(Participant)),
                WRITE,
                crate::api::accounts::create_participant,
            )
        },
        op(
            Get,
            "/api/v1/announcements",
            "Public announcements with figures",
            "public",
            Public,
            (200, s!(Vec<Announcement>)),
            &[],
            crate::public_api::announcements,
        ),
        Op {
            query: s!(crate::api::NameQuery),
            ..op(Get, "/api/v1/users", "Users (coordinators, auditors)", "accounts", SignedIn, (200, s!(Page<User>)), &[401, 403], crate::api::accounts::users)
        },
        Op {
            body: s!(accounts::CreateUser),
            ..op(Post, "/api/v1/users", "Add a user (coordinators)", "accounts", SignedIn, (201, s!(User)), WRITE, crate::api::accounts::create_user)
        },
        op(Get, "/api/v1/participants/{code}", "One organisation", "accounts", Public, (200, s!(Participant)), &[404], crate::api::accounts::participant),
        op(
            Get,
            "/api/v1/users/{name}",
            "One user (coordinators, auditors)",
            "accounts",
            SignedIn,
            (200, s!(User)),
            &[401, 403, 404],
            crate::api::accounts::user,
        ),
        op(
            Delete,
            "/api/v1/users/{name}",
            "Remove an account for good (coordinators); its sessions and tokens end",
            "accounts",
            SignedIn,
            (204, None),
            WRITE,
            crate::api::accounts::remove_user,
        ),
        Op {
            body: s!(accounts::ChangePassword),
            ..op(
                Put,
                "/api/v1/users/{name}/password",
                "Change a password (one's own with the current one; coordinators anyone's); every session ends",
                "accounts",
                SignedIn,
                (204, None),
                &[400, 401, 403, 404, 409, 413, 415, 422, 429],
                crate::api::accounts::change_password,
            )
        },
        op(
            Post,
            "/api/v1/users/{name}/disable",
            "Disable an account (coordinators); its sessions, password and tokens stop at once",
            "accounts",
            SignedIn,
            (204, None),
            WRITE,
            crate::api::accounts::disable_user,
        ),
        op(
            Post,
            "/api/v1/users/{name}/enable",
            "Enable a disabled account (coordinators)",
            "accounts",
            SignedIn,
            (204, None),
            WRITE,
            crate::api::accounts::enable_user,
        ),
        Op {
            body: s!(accounts::CreateToken),
            ..op(
                Post,
                "/api/v1/users/{name}/tokens",
                "Create an API token; shown once",
                "accounts",
                SignedIn,
                (201, s!(accounts::NewToken)),
                WRITE,
                crate::api::accounts::create_token,
            )
        },
        Op {
            query: s!(crate::api::PageQuery),
            ..op(
                Get,
                "/api/v1/tokens",
                "API tokens, without their secrets",
                "accounts",
                SignedIn,
                (200, s!(Page<TokenInfo>)),
                &[401, 403],
                crate::api::accounts::tokens,
            )
        },
        op(
            Delete,
            "/api/v1/tokens/{id}",
            "Revoke a token (the office or its user)",
            "accounts",
            SignedIn,
            (204, None),
            WRITE,
            crate::api::accounts::revoke_token,
        ),
        op(
            Get,
            "/api/v1/collections",
            "TAXII collections the caller may read or write",
            "exchange",
            SignedIn,
            (200, s!(Vec<tallinn_ledger::Collection>)),
            &[401],
            crate::api::exchange::list,
        ),
        Op {
            body: s!(crate::api::exchange::CreateCollection),
            ..op(
                Post,
                "/api/v1/collections",
                "Create a TAXII collection (coordinators)",
                "exchange",
                SignedIn,
                (201, s!(tallinn_ledger::Collection)),
                WRITE,
                crate::api::exchange::create,
            )
        },
        Op {
            body: s!(session::SignIn),
            ..op(
                Post,
                "/api/v1/session",
                "Sign in: sets the session cookie, returns the CSRF token",
                "accounts",
                Public,
                (200, s!(session::Signed)),
                &[400, 401, 422, 429],
                crate::api::session::sign_in,
            )
        },
        op(Delete, "/api/v1/session", "Sign out everywhere", "accounts", SignedIn, (204, None), &[401, 403], crate::api::session::sign_out),
        Op {
            query: s!(needs::ListQuery),
            ..op(
                Get,
                "/api/v1/needs",
                "Needs the caller may see, newest first, keyset-paginated",
                "needs",
                Public,
                (200, s!(Page<Need>)),
                READ,
                crate::api::needs::list,
            )
        },
        Op {
            body: s!(tallinn_core::need::NewNeed),
            ..op(Post, "/api/v1/needs", "File a need (draft)", "needs", SignedIn, (201, s!(Need)), WRITE, crate::api::needs::create)
        },
        op(Get, "/api/v1/needs/{id}", "One need", "needs", Public, (200, s!(Need)), READ, crate::api::needs::get),
        op(
            Get,
            "/api/v1/needs/{id}/history",
            "Every stamped lifecycle step (time, actor)",
            "needs",
            Public,
            (200, s!(Vec<tallinn_core::need::NeedTransition>)),
            READ,
            crate::api::needs::history,
        ),
        op(
            Get,
            "/api/v1/needs/{id}/reviews",
            "The panels' reviews",
            "needs",
            Public,
            (200, s!(Vec<tallinn_core::review::Review>)),
            READ,
            crate::api::needs::reviews,
        ),
        op(
            Get,
            "/api/v1/needs/{id}/relations",
            "Duplicate/complementary verdicts (the other need only if visible)",
            "engine",
            Public,
            (200, s!(Vec<tallinn_core::need::NeedRelation>)),
            READ,
            crate::api::needs::relations,
        ),
        op(Post, "/api/v1/needs/{id}/submit", "draft → submitted", "needs", SignedIn, (200, s!(Need)), WRITE, crate::api::needs::submit),
        Op {
            body: s!(needs::TriageBody),
            ..op(
                Post,
                "/api/v1/needs/{id}/triage",
                "submitted → technical review, or rejected (coordinators)",
                "needs",
                SignedIn,
                (200, s!(Need)),
                WRITE,
                crate::api::needs::triage,
            )
        },
        Op {
            body: s!(needs::ReviewBody),
            ..op(Post, "/api/v1/needs/{id}/reviews", "A panel member's review", "needs", SignedIn, (200, s!(Need)), WRITE, crate::api::needs::review)
        },
        Op {
            body: s!(needs::ReserveBody),
            ..op(
                Post,
                "/api/v1/needs/{id}/reservation",
                "Reserve an approved need for a donor",
                "needs",
                SignedIn,
                (200, s!(Need)),
                WRITE,
                crate::api::needs::reserve,
            )
        },
        Op {
            body: s!(needs::WithdrawBody),
            ..op(Post, "/api/v1/needs/{id}/withdraw", "Withdraw a need", "needs", SignedIn, (200, s!(Need)), WRITE, crate::api::needs::withdraw)
        },
        Op {
            body: s!(engine::RelationBody),
            ..op(
                Post,
                "/api/v1/needs/{id}/relations",
                "Record a duplicate/complementary verdict (coordinators)",
                "engine",
                SignedIn,
                (204, None),
                WRITE,
                crate::api::engine::relate,
            )
        },
        Op {
            query: s!(pledges::ListQuery),
            ..op(Get, "/api/v1/pledges", "Pledges the caller may see", "pledges", Public, (200, s!(Page<Pledge>)), READ, crate::api::pledges::list)
        },
        Op {
            body: s!(pledges::CreatePledge),
            ..op(Post, "/api/v1/pledges", "Record a money pledge (announced)", "pledges", SignedIn, (201, s!(Pledge)), WRITE, crate::api::pledges::create)
        },
        op(Get, "/api/v1/pledges/{id}", "One pledge", "pledges", Public, (200, s!(Pledge)), READ, crate::api::pledges::get),
        op(Post, "/api/v1/pledges/{id}/commit", "announced → committed", "pledges", SignedIn, (200, s!(Pledge)), WRITE, crate::api::pledges::commit),
        op(Post, "/api/v1/pledges/{id}/disburse", "committed → disbursed", "pledges", SignedIn, (200, s!(Pledge)), WRITE, crate::api::pledges::disburse),
        op(
            Post,
            "/api/v1/pledges/{id}/cancel",
            "Cancel a pledge without allocations",
            "pledges",
            SignedIn,
            (200, s!(Pledge)),
            WRITE,
            crate::api::pledges::cancel,
        ),
        Op {
            query: s!(crate::api::PageQuery),
            ..op(
                Get,
                "/api/v1/allocations",
                "Allocations whose need and pledge the caller may see",
                "pledges",
                Public,
                (200, s!(Page<Allocation>)),
                READ,
                crate::api::pledges::allocations,
            )
        },
        Op {
            body: s!(pledges::AllocateBody),
            ..op(
                Post,
                "/api/v1/allocations",
                "Allocate, all lines or none",
                "pledges",
                SignedIn,
                (201, s!(Vec<Allocation>)),
                WRITE,
                crate::api::pledges::allocate,
            )
        },
        Op {
            query: s!(flows::TransactionsQuery),
            ..op(Get, "/api/v1/transactions", "Funding flows", "flows", Public, (200, s!(Page<Transaction>)), READ, crate::api::flows::transactions)
        },
        Op {
            body: s!(flows::CreateTransaction),
            ..op(
                Post,
                "/api/v1/transactions",
                "Record a flow (coordinators)",
                "flows",
                SignedIn,
                (201, s!(Transaction)),
                WRITE,
                crate::api::flows::create_transaction,
            )
        },
        Op {
            query: s!(crate::api::PageQuery),
            ..op(
                Get,
                "/api/v1/projects",
                "Projects whose need the caller may see",
                "flows",
                Public,
                (200, s!(Page<Project>)),
                READ,
                crate::api::flows::projects,
            )
        },
        Op {
            body: s!(flows::CreateProject),
            ..op(
                Post,
                "/api/v1/projects",
                "Start the delivery of a funded need",
                "flows",
                SignedIn,
                (201, s!(Project)),
                WRITE,
                crate::api::flows::create_project,
            )
        },
        Op {
            body: s!(flows::MilestoneBody),
            ..op(Post, "/api/v1/projects/{id}/milestones", "Plan a milestone", "flows", SignedIn, (200, s!(Project)), WRITE, crate::api::flows::add_milestone)
        },
        op(
            Post,
            "/api/v1/projects/{id}/milestones/{milestone}/complete",
            "Complete a milestone",
            "flows",
            SignedIn,
            (200, s!(Project)),
            WRITE,
            crate::api::flows::complete_milestone,
        ),
        op(Post, "/api/v1/projects/{id}/deliver", "Report the project delivered", "flows", SignedIn, (200, s!(Project)), WRITE, crate::api::flows::deliver),
        Op {
            body: s!(flows::AcceptBody),
            ..op(
                Post,
                "/api/v1/projects/{id}/accept",
                "The beneficiary's sealed acceptance",
                "flows",
                SignedIn,
                (200, s!(Project)),
                WRITE,
                crate::api::flows::accept,
            )
        },
        Op {
            query: s!(crate::api::PageQuery),
            ..op(Get, "/api/v1/agreements", "The agreements register", "flows", Public, (200, s!(Page<Agreement>)), READ, crate::api::flows::agreements)
        },
        op(Get, "/api/v1/transactions/{id}", "One flow", "flows", Public, (200, s!(Transaction)), READ, crate::api::flows::transaction),
        op(Get, "/api/v1/projects/{id}", "One project", "flows", Public, (200, s!(Project)), READ, crate::api::flows::project),
        op(Get, "/api/v1/agreements/{id}", "One agreement", "flows", Public, (200, s!(Agreement)), READ, crate::api::flows::agreement),
        op(Get, "/api/v1/allocations/{id}", "One allocation", "pledges", Public, (200, s!(Allocation)), READ, crate::api::pledges::allocation),
        Op {
            body: s!(flows::CreateAgreement),
            ..op(
                Post,
                "/api/v1/agreements",
                "Register an agreement (coordinators)",
                "flows",
                SignedIn,
                (201, s!(Agreement)),
                WRITE,
                crate::api::flows::create_agreement,
            )
        },
        Op {
            query: s!(flows::LogQuery),
            ..op(
                Get,
                "/api/v1/audit-log",
                "The hash-chained audit log, newest first",
                "audit",
                SignedIn,
                (200, s!(Page<AuditEntry>)),
                &[400, 401, 403],
                crate::api::flows::audit_log,
            )
        },
        Op {
            query: s!(flows::AccessLogQuery),
            ..op(
                Get,
                "/api/v1/access-log",
                "Reads of AMBER, AMBER+STRICT and RED records, newest first",
                "audit",
                SignedIn,
                (200, s!(Page<AccessEntry>)),
                &[400, 401, 403],
                crate::api::flows::access_log,
            )
        },
        Op {
            query: s!(crate::api::PageQuery),
            ..op(
                Get,
                "/api/v1/allocation-proposals",
                "Saved proposals",
                "engine",
                SignedIn,
                (200, s!(Page<Proposal>)),
                &[401, 403],
                crate::api::engine::proposals,
            )
        },
        op(
            Post,
            "/api/v1/allocation-proposals",
            "Run the allocation engine over the ledger",
            "engine",
            SignedIn,
            (201, s!(Proposal)),
            &[401, 403],
            crate::api::engine::propose,
        ),
        op(Get, "/api/v1/allocation-proposals/{id}", "One proposal", "engine", SignedIn, (200, s!(Proposal)), READ, crate::api::engine::proposal),
        op(
            Post,
            "/api/v1/allocation-proposals/{id}/apply",
            "Apply a proposal, all lines or none",
            "engine",
            SignedIn,
            (200, s!(Vec<Allocation>)),
            WRITE,
            crate::api::engine::apply,
        ),
        Op {
            query: s!(engine::GapsQuery),
            ..op(
                Get,
                "/api/v1/gaps",
                "The unfunded gap, ranked by urgency × threat",
                "engine",
                Public,
                (200, s!(Vec<tallinn_allocate::gaps::GapRow>)),
                &[400, 422],
                crate::api::engine::gaps,
            )
        },
        Op {
            query: s!(crate::api::exchange::SightingsQuery),
            ..op(
                Get,
                "/api/v1/sightings",
                "The most recent sightings of every collection the caller may read",
                "exchange",
                SignedIn,
                (200, s!(Vec<crate::api::exchange::SightingRow>)),
                &[],
                crate::api::exchange::sightings,
            )
        },
        op(
            Get,
            "/api/v1/threat-factors",
            "Each sector's sightings in the last 30 days and the threat factor they give its needs",
            "engine",
            Public,
            (200, s!(Vec<tallinn_core::threat::SectorThreat>)),
            &[],
            crate::api::engine::threat_factors,
        ),
        op(
            Get,
            "/api/v1/public/dashboard",
            "Every figure over TLP:CLEAR records (the public dashboard)",
            "reports",
            Public,
            (200, s!(Overview)),
            &[],
            crate::api::reports::public_dashboard,
        ),
        op(
            Get,
            "/api/v1/public/iati.xml",
            "IATI 2.03 activities XML: one activity per funded TLP:CLEAR need",
            "reports",
            Public,
            (200, None),
            &[],
            crate::api::reports::public_iati,
        ),
        Op {
            query: s!(reports::OverviewQuery),
            ..op(
                Get,
                "/api/v1/reports",
                "Every figure over what the caller may see",
                "reports",
                Public,
                (200, s!(Overview)),
                &[400, 401],
                crate::api::reports::all,
            )
        },
        Op {
            query: s!(reports::FundingQuery),
            ..op(
                Get,
                "/api/v1/reports/funding",
                "Committed, disbursed and spent EUR by one dimension (announced beside); format=csv for CSV",
                "reports",
                Public,
                (200, s!(tallinn_report::FundingTable)),
                &[400, 401],
                crate::api::reports::funding_table,
            )
        },
        Op {
            query: s!(reports::SectionQuery),
            ..op(
                Get,
                "/api/v1/reports/{section}",
                "One section: coverage, gaps, timing, agreements or reconciliation; format=csv for CSV",
                "reports",
                Public,
                (200, None),
                &[400, 401, 404],
                crate::api::reports::section,
            )
        },
        op(
            Get,
            "/api/v1/reports/charts/{file}",
            "An SVG chart: funding-by-year.svg, coverage-by-sector.svg, top-gaps.svg, time-to-fund.svg",
            "reports",
            Public,
            (200, None),
            &[401, 404],
            crate::api::reports::chart_svg,
        ),
        Op {
            query: s!(engine::DuplicatesQuery),
            ..op(
                Get,
                "/api/v1/duplicates",
                "Likely duplicate needs and overlapping pledges",
                "engine",
                SignedIn,
                (200, s!(Duplicates)),
                &[400, 401, 422],
                crate::api::engine::duplicates,
            )
        },
    ]
}

/// The answers that are not JSON, or not only: tables as CSV
/// (`format=csv`), charts as SVG, the IATI file as XML.
fn other_media(path: &str) -> Vec<(&'static str, Value)> {
    let text = json!({ "type": "string" });
    match path {
        "/api/v1/reports/funding" => vec![("text/csv", text)],
        "/api/v1/reports/{section}" => vec![("application/json", json!({})), ("text/csv", text)],
        "/api/v1/reports/charts/{file}" => vec![("image/svg+xml", text)],
        "/api/v1/public/iati.xml" => vec![("application/xml", text)],
        _ => vec![],
    }
}

/// What a path parameter takes: each kind of id its own pattern (the
/// one `Kind::parse` reads), names and codes theirs, and the closed sets
/// their values.
fn path_parameter(path: &str, name: &str) -> Value {
    use tallinn_core::id::Kind;
    let id = |kind: Kind| json!({ "type": "string", "pattern": kind.pattern() });
    let collection = path.trim_start_matches("/api/v1/").split('/').next().unwrap_or_default();
    match (collection, name) {
        ("needs", "id") => id(Kind::Need),
        ("pledges", "id") => id(Kind::Pledge),
        ("allocations", "id") => id(Kind::Allocation),
        ("transactions", "id") => id(Kind::Transaction),
        ("projects", "id") => id(Kind::Project),
        ("projects", "milestone") => id(Kind::Milestone),
        ("agreements", "id") => id(Kind::Agreement),
        ("allocation-proposals", "id") => id(Kind::Proposal),
        ("tokens", "id") => json!({ "type": "integer", "minimum": 1, "format": "int64" }),
        ("participants", "code") => json!({ "type": "string", "pattern": tallinn_core::participant::CODE_PATTERN }),
        ("users", "name") => json!({ "type": "string", "pattern": tallinn_core::participant::USER_NAME_PATTERN }),
        ("reports", "section") => json!({ "type": "string", "enum": crate::api::reports::SECTIONS }),
        ("reports", "file") => {
            let files: Vec<String> = tallinn_report::ChartKind::ALL.iter().map(|k| format!("{}.svg", k.as_str())).collect();
            json!({ "type": "string", "enum": files })
        }
        _ => json!({ "type": "string", "pattern": tallinn_core::text::PATTERN }),
    }
}

/// The error statuses of an operation: its own, and those every request
/// can meet — a malformed query (400), bad credentials (401, even on public
/// operations), too many failed sign-ins from the caller's address (429) —
/// and those of a path (a malformed id: 422; none such: 404) and of a body
/// (too large: 413; not JSON: 415; a value the schema refuses: 422).
fn error_statuses(op: &Op) -> std::collections::BTreeSet<u16> {
    let mut statuses: std::collections::BTreeSet<u16> = op.errors.iter().copied().collect();
    statuses.extend([400, 401, 429]);
    if op.path.contains('{') {
        statuses.extend([404, 422]);
    }
    if op.body.is_some() {
        statuses.extend([413, 415, 422]);
    }
    if op.access == Access::SignedIn {
        statuses.insert(403);
    }
    statuses
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No content",
        400 => "Malformed request (query, JSON syntax)",
        401 => "Missing or bad credentials",
        403 => "The caller's role may not do this, or a missing CSRF token",
        404 => "No such record, or one the caller may not see (answered identically)",
        409 => {
            "The ledger as it stands refuses it: a lifecycle step its state does not allow, an invariant, a named organisation of the wrong kind, a rate not on file"
        }
        413 => "Body larger than 1 MiB",
        415 => "Send application/json",
        422 => "A value is wrong on its face, whatever the ledger holds (names the field)",
        429 => "Too many failed sign-ins from this address or for this account; try again after the time the message gives",
        _ => "",
    }
}

fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12().with(|s| s.definitions_path = "#/components/schemas/".into()).into_generator()
}

/// The API's routes, from the same table the document is built from: an
/// operation cannot be served without being documented, nor documented
/// without being served. Several methods on one path share its route.
pub fn routes() -> Router<AppState> {
    let mut by_path: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for op in operations(&mut generator()) {
        match by_path.iter_mut().find(|(path, _)| *path == op.path) {
            Some((_, route)) => *route = std::mem::take(route).merge(op.route),
            None => by_path.push((op.path, op.route)),
        }
    }
    by_path.into_iter().fold(Router::new(), |router, (path, route)| router.route(path, route))
}

fn build() -> Value {
    let mut g = generator();
    let error = g.subschema_for::<crate::error::Body>();
    let ops = operations(&mut g);
    let definitions = g.take_definitions(true);
    let mut paths = Map::new();
    for op in &ops {
        let mut operation = Map::new();
        operation.insert("summary".into(), json!(op.summary));
        operation.insert("tags".into(), json!([op.tag]));
        operation.insert("operationId".into(), json!(format!("{}{}", op.method.name(), op.path.replace(['/', '{', '}', '-'], "_"))));
        let mut parameters: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": path_parameter(op.path, name) }))
            .collect();
        if let Some(Value::Object(q)) = op.query.as_ref().map(|s| s.as_value().clone()) {
            // The query struct is a component: inline its properties as parameters.
            let name = q.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()).unwrap_or_default();
            if let Some(props) = definitions.get(name).and_then(|d| d.get("properties")).and_then(Value::as_object) {
                for (field, schema) in props {
                    parameters.push(json!({ "name": field, "in": "query", "required": false, "schema": schema }));
                }
            }
        }
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(body) = &op.body {
            operation.insert("requestBody".into(), json!({ "required": true, "content": { "application/json": { "schema": body } } }));
        }
        let mut responses = Map::new();
        let mut content = Map::new();
        if let Some(schema) = &op.answer {
            content.insert("application/json".into(), json!({ "schema": schema }));
        }
        for (media, schema) in other_media(op.path) {
            content.insert(media.into(), json!({ "schema": schema }));
        }
        let ok = match content.is_empty() {
            false => json!({ "description": reason(op.ok), "content": content }),
            true => json!({ "description": reason(op.ok) }),
        };
        responses.insert(op.ok.to_string(), ok);
        for status in error_statuses(op) {
            responses.insert(status.to_string(), json!({ "description": reason(status), "content": { "application/json": { "schema": error } } }));
        }
        operation.insert("responses".into(), Value::Object(responses));
        let schemes = json!([{ "bearer": [] }, { "basic": [] }, { "session": [] }]);
        let security = match op.access {
            Access::SignedIn => schemes,
            Access::Public => {
                let mut any = vec![json!({})];
                any.extend(schemes.as_array().cloned().unwrap_or_default());
                Value::Array(any)
            }
        };
        operation.insert("security".into(), security);
        let item = paths.entry(op.path.to_string()).or_insert_with(|| json!({}));
        if let Value::Object(item) = item {
            item.insert(op.method.name().to_string(), Value::Object(operation));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tallinn API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Coordination of civil cyber assistance to Ukraine. Every read goes through the TLP 2.0 visibility policy: a record the caller may not see is answered exactly like one that does not exist."
        },
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "tallinn_… API token (tallinn token create)" },
                "basic": { "type": "http", "scheme": "basic" },
                "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE, "description": "Browser session from POST /api/v1/session; writes also need x-csrf-token" }
            }
        }
    })
}

/// The document (built once per process).
pub static DOCUMENT: LazyLock<Value> = LazyLock::new(build);

/// `GET /api/v1/openapi.json`
pub async fn document() -> axum::Json<Value> {
    axum::Json(DOCUMENT.clone())
}

/// `GET /api/docs`: the operations, readable, from the same document.
pub async fn docs() -> axum::response::Html<String> {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut rows = String::new();
    if let Some(paths) = DOCUMENT["paths"].as_object() {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let codes: Vec<&String> = op["responses"].as_object().map(|r| r.keys().collect()).unwrap_or_default();
                let public = op["security"].as_array().is_some_and(|s| s.iter().any(|x| x.as_object().is_some_and(|o| o.is_empty())));
                rows.push_str(&format!(
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    method.to_uppercase(),
                    esc(path),
                    esc(op["summary"].as_str().unwrap_or("")),
                    if public { "anyone" } else { "signed in" },
                    codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
                ));
            }
        }
    }
    axum::response::Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tallinn API</title>
<link rel="stylesheet" href="/assets/tallinn.css">
</head><body><main><h1>Tallinn API</h1><p>The machine-readable document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer</code>, HTTP Basic, or a session cookie (writes then need <code>x-csrf-token</code>). Errors are <code>{{"error": {{"code", "message", "field"?}}}}</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What</th><th>Who</th><th>Answers</th></tr></thead><tbody>
{rows}</tbody></table></main></body></html>"#
    ))
}

#[cfg(test)]
mod tests {
    /// The patterns the OpenAPI document states are the rules the server
    /// applies: whatever matches a pattern, the rule takes (so a client that
    /// follows the document is never refused), and for text the two agree
    /// exactly. Checked on edge cases and on many generated strings.
    #[test]
    fn openapi_patterns_are_the_server_rules() {
        use regex_automata::meta::Regex;
        use tallinn_core::id::Kind;
        use tallinn_core::{money, participant, text};
        let re = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        // Strings from an alphabet that straddles every boundary the rules draw.
        let alphabet: Vec<char> = "aZ09-._ \t\n\r\u{0}\u{1}\u{1f}\u{7f}\u{85}\u{a0}\u{2028}é;,N-PAL+.5".chars().collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut samples: Vec<String> = vec![
            String::new(),
            "N-42".into(),
            "42".into(),
            "N-0".into(),
            "0.01".into(),
            "0.00".into(),
            "1250.50".into(),
            "9999999999999.99".into(),
            "EE".into(),
            "UA-DEMO-CERT".into(),
            "demo.coordinator".into(),
            "  ".into(),
            " x ".into(),
        ];
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 8) as usize;
            samples.push((0..len).map(|i| alphabet[((seed >> (8 + 5 * i)) % alphabet.len() as u64) as usize]).collect());
        }
        for c in (0u32..=0xa0).filter_map(char::from_u32) {
            samples.push(format!("a{c}b"));
            samples.push(c.to_string());
        }
        let (text_re, non_blank) = (re(text::PATTERN), re(text::NON_BLANK_PATTERN));
        let (code, user) = (re(participant::CODE_PATTERN), re(participant::USER_NAME_PATTERN));
        let (amount, whole) = (re(money::POSITIVE_AMOUNT_PATTERN), re(money::POSITIVE_WHOLE_AMOUNT_PATTERN));
        let unit = re(tallinn_core::pledge::UNIT_VALUE_PATTERN);
        let tag = re(tallinn_core::need::TAG_PATTERN);
        let cursor = re(crate::api::CURSOR_PATTERN);
        let ids: Vec<(Kind, Regex)> = [Kind::Need, Kind::Pledge, Kind::Allocation, Kind::Proposal].into_iter().map(|k| (k, re(&k.pattern()))).collect();
        for s in &samples {
            let text_ok = text::check("f", s).is_ok();
            assert_eq!(text_re.is_match(s), text_ok, "text {s:?}");
            assert_eq!(non_blank.is_match(s), text_ok && !s.trim().is_empty(), "non-blank {s:?}");
            if code.is_match(s) {
                assert!(participant::validate_code("f", s).is_ok(), "code {s:?}");
            }
            if user.is_match(s) {
                assert!(participant::validate_user_name(s).is_ok(), "user {s:?}");
            }
            for pattern in [&amount, &unit] {
                if pattern.is_match(s) {
                    assert!(money::parse_minor("f", s, 2).is_ok_and(|m| m > 0), "amount {s:?}");
                }
            }
            if whole.is_match(s) {
                assert!(money::parse_minor("f", s, 0).is_ok_and(|m| m > 0), "whole amount {s:?}");
            }
            if tag.is_match(s) {
                assert!(s.chars().count() <= 40 && !s.chars().any(|c| c.is_whitespace() || c == ';' || c == ','), "tag {s:?}");
            }
            if cursor.is_match(s) {
                assert!(crate::api::decode_cursor(s).is_ok(), "cursor {s:?}");
            }
            for (kind, pattern) in &ids {
                if pattern.is_match(s) {
                    assert!(kind.parse(s).is_ok(), "{kind} id {s:?}");
                }
            }
        }
        for (kind, pattern) in &ids {
            assert!(pattern.is_match(&kind.display(i64::MAX / 10)) && !pattern.is_match(&kind.display(0)), "{kind}");
        }
        assert!(amount.is_match("9999999999999.99") && !amount.is_match("0.00") && !amount.is_match("1.234"));
    }
}
