//! The OpenAPI 3.1 document of `/api/v1`, built from one table of
//! operations with JSON Schemas (2020-12) derived from the types the
//! handlers read and answer with, and the same table rendered as HTML at
//! `/api/docs` (no JavaScript, no CDN).

use std::sync::LazyLock;

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
use tallinn_store::{AccessEntry, Duplicates, Proposal, TokenInfo};

use tallinn_report::Overview;

use crate::api::{Page, accounts, engine, flows, needs, pledges, reports, session};

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone; the public sees TLP:CLEAR only.
    Public,
    /// Credentials required (Bearer, Basic or a session with its CSRF token).
    SignedIn,
}

struct Op {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    tag: &'static str,
    access: Access,
    query: Option<Schema>,
    body: Option<Schema>,
    ok: u16,
    answer: Option<Schema>,
    errors: &'static [u16],
}

const READ: &[u16] = &[400, 401, 404];
const WRITE: &[u16] = &[400, 401, 403, 404, 409, 413, 415, 422];

fn operations(g: &mut SchemaGenerator) -> Vec<Op> {
    /// The success status and its schema, as `(status, schema)`.
    fn op(
        method: &'static str,
        path: &'static str,
        summary: &'static str,
        tag: &'static str,
        access: Access,
        (ok, answer): (u16, Option<Schema>),
        errors: &'static [u16],
    ) -> Op {
        Op { method, path, summary, tag, access, query: None, body: None, ok, answer, errors }
    }
    macro_rules! s {
        ($t:ty) => {
            Some(g.subschema_for::<$t>())
        };
    }
    use Access::*;
    vec![
        op("get", "/api/v1/public/summary", "Headline figures over TLP:CLEAR needs", "public", Public, (200, s!(crate::public_api::Summary)), &[]),
        op("get", "/api/v1/public/needs", "Every TLP:CLEAR need", "public", Public, (200, s!(Vec<Need>)), &[]),
        Op {
            query: s!(crate::api::NameQuery),
            ..op(
                "get",
                "/api/v1/participants",
                "Members, observers, beneficiaries, implementers, the office",
                "accounts",
                Public,
                (200, s!(Page<Participant>)),
                &[],
            )
        },
        Op {
            body: s!(accounts::CreateParticipant),
            ..op("post", "/api/v1/participants", "Add an organisation (coordinators)", "accounts", SignedIn, (201, s!(Participant)), WRITE)
        },
        op("get", "/api/v1/announcements", "Public announcements with figures", "public", Public, (200, s!(Vec<Announcement>)), &[]),
        Op {
            query: s!(crate::api::NameQuery),
            ..op("get", "/api/v1/users", "Users (coordinators, auditors)", "accounts", SignedIn, (200, s!(Page<User>)), &[401, 403])
        },
        Op { body: s!(accounts::CreateUser), ..op("post", "/api/v1/users", "Add a user (coordinators)", "accounts", SignedIn, (201, s!(User)), WRITE) },
        op("get", "/api/v1/participants/{code}", "One organisation", "accounts", Public, (200, s!(Participant)), &[404]),
        op("get", "/api/v1/users/{name}", "One user (coordinators, auditors)", "accounts", SignedIn, (200, s!(User)), &[401, 403, 404]),
        op(
            "delete",
            "/api/v1/users/{name}",
            "Remove an account for good (coordinators); its sessions and tokens end",
            "accounts",
            SignedIn,
            (204, None),
            WRITE,
        ),
        Op {
            body: s!(accounts::ChangePassword),
            ..op(
                "put",
                "/api/v1/users/{name}/password",
                "Change a password (one's own with the current one; coordinators anyone's); every session ends",
                "accounts",
                SignedIn,
                (204, None),
                &[400, 401, 403, 404, 409, 413, 415, 422, 429],
            )
        },
        op(
            "post",
            "/api/v1/users/{name}/disable",
            "Disable an account (coordinators); its sessions, password and tokens stop at once",
            "accounts",
            SignedIn,
            (204, None),
            WRITE,
        ),
        op("post", "/api/v1/users/{name}/enable", "Enable a disabled account (coordinators)", "accounts", SignedIn, (204, None), WRITE),
        Op {
            body: s!(accounts::CreateToken),
            ..op("post", "/api/v1/users/{name}/tokens", "Create an API token; shown once", "accounts", SignedIn, (201, s!(accounts::NewToken)), WRITE)
        },
        Op {
            query: s!(crate::api::PageQuery),
            ..op("get", "/api/v1/tokens", "API tokens, without their secrets", "accounts", SignedIn, (200, s!(Page<TokenInfo>)), &[401, 403])
        },
        op("delete", "/api/v1/tokens/{id}", "Revoke a token (the office or its user)", "accounts", SignedIn, (204, None), WRITE),
        op(
            "get",
            "/api/v1/collections",
            "TAXII collections the caller may read or write",
            "exchange",
            SignedIn,
            (200, s!(Vec<tallinn_store::Collection>)),
            &[401],
        ),
        Op {
            body: s!(crate::api::exchange::CreateCollection),
            ..op("post", "/api/v1/collections", "Create a TAXII collection (coordinators)", "exchange", SignedIn, (201, s!(tallinn_store::Collection)), WRITE)
        },
        Op {
            body: s!(session::SignIn),
            ..op(
                "post",
                "/api/v1/session",
                "Sign in: sets the session cookie, returns the CSRF token",
                "accounts",
                Public,
                (200, s!(session::Signed)),
                &[400, 401, 422, 429],
            )
        },
        op("delete", "/api/v1/session", "Sign out everywhere", "accounts", SignedIn, (204, None), &[401, 403]),
        Op {
            query: s!(needs::ListQuery),
            ..op("get", "/api/v1/needs", "Needs the caller may see, newest first, keyset-paginated", "needs", Public, (200, s!(Page<Need>)), READ)
        },
        Op { body: s!(needs::CreateNeed), ..op("post", "/api/v1/needs", "File a need (draft)", "needs", SignedIn, (201, s!(Need)), WRITE) },
        op("get", "/api/v1/needs/{id}", "One need", "needs", Public, (200, s!(Need)), READ),
        op(
            "get",
            "/api/v1/needs/{id}/history",
            "Every stamped lifecycle step (time, actor)",
            "needs",
            Public,
            (200, s!(Vec<tallinn_core::need::NeedTransition>)),
            READ,
        ),
        op("get", "/api/v1/needs/{id}/reviews", "The panels' reviews", "needs", Public, (200, s!(Vec<tallinn_core::review::Review>)), READ),
        op(
            "get",
            "/api/v1/needs/{id}/relations",
            "Duplicate/complementary verdicts (the other need only if visible)",
            "engine",
            Public,
            (200, s!(Vec<tallinn_core::need::NeedRelation>)),
            READ,
        ),
        op("post", "/api/v1/needs/{id}/submit", "draft → submitted", "needs", SignedIn, (200, s!(Need)), WRITE),
        Op {
            body: s!(needs::TriageBody),
            ..op("post", "/api/v1/needs/{id}/triage", "submitted → technical review, or rejected (coordinators)", "needs", SignedIn, (200, s!(Need)), WRITE)
        },
        Op { body: s!(needs::ReviewBody), ..op("post", "/api/v1/needs/{id}/reviews", "A panel member's review", "needs", SignedIn, (200, s!(Need)), WRITE) },
        Op {
            body: s!(needs::ReserveBody),
            ..op("post", "/api/v1/needs/{id}/reservation", "Reserve an approved need for a donor", "needs", SignedIn, (200, s!(Need)), WRITE)
        },
        Op { body: s!(needs::WithdrawBody), ..op("post", "/api/v1/needs/{id}/withdraw", "Withdraw a need", "needs", SignedIn, (200, s!(Need)), WRITE) },
        Op {
            body: s!(engine::RelationBody),
            ..op("post", "/api/v1/needs/{id}/relations", "Record a duplicate/complementary verdict (coordinators)", "engine", SignedIn, (204, None), WRITE)
        },
        Op { query: s!(pledges::ListQuery), ..op("get", "/api/v1/pledges", "Pledges the caller may see", "pledges", Public, (200, s!(Page<Pledge>)), READ) },
        Op {
            body: s!(pledges::CreatePledge),
            ..op("post", "/api/v1/pledges", "Record a money pledge (announced)", "pledges", SignedIn, (201, s!(Pledge)), WRITE)
        },
        op("get", "/api/v1/pledges/{id}", "One pledge", "pledges", Public, (200, s!(Pledge)), READ),
        op("post", "/api/v1/pledges/{id}/commit", "announced → committed", "pledges", SignedIn, (200, s!(Pledge)), WRITE),
        op("post", "/api/v1/pledges/{id}/disburse", "committed → disbursed", "pledges", SignedIn, (200, s!(Pledge)), WRITE),
        op("post", "/api/v1/pledges/{id}/cancel", "Cancel a pledge without allocations", "pledges", SignedIn, (200, s!(Pledge)), WRITE),
        Op {
            query: s!(crate::api::PageQuery),
            ..op("get", "/api/v1/allocations", "Allocations whose need and pledge the caller may see", "pledges", Public, (200, s!(Page<Allocation>)), READ)
        },
        Op {
            body: s!(pledges::AllocateBody),
            ..op("post", "/api/v1/allocations", "Allocate, all lines or none", "pledges", SignedIn, (201, s!(Vec<Allocation>)), WRITE)
        },
        Op { query: s!(flows::TransactionsQuery), ..op("get", "/api/v1/transactions", "Funding flows", "flows", Public, (200, s!(Page<Transaction>)), READ) },
        Op {
            body: s!(flows::CreateTransaction),
            ..op("post", "/api/v1/transactions", "Record a flow (coordinators)", "flows", SignedIn, (201, s!(Transaction)), WRITE)
        },
        Op {
            query: s!(crate::api::PageQuery),
            ..op("get", "/api/v1/projects", "Projects whose need the caller may see", "flows", Public, (200, s!(Page<Project>)), READ)
        },
        Op {
            body: s!(flows::CreateProject),
            ..op("post", "/api/v1/projects", "Start the delivery of a funded need", "flows", SignedIn, (201, s!(Project)), WRITE)
        },
        Op {
            body: s!(flows::MilestoneBody),
            ..op("post", "/api/v1/projects/{id}/milestones", "Plan a milestone", "flows", SignedIn, (200, s!(Project)), WRITE)
        },
        op("post", "/api/v1/projects/{id}/milestones/{milestone}/complete", "Complete a milestone", "flows", SignedIn, (200, s!(Project)), WRITE),
        op("post", "/api/v1/projects/{id}/deliver", "Report the project delivered", "flows", SignedIn, (200, s!(Project)), WRITE),
        Op {
            body: s!(flows::AcceptBody),
            ..op("post", "/api/v1/projects/{id}/accept", "The beneficiary's sealed acceptance", "flows", SignedIn, (200, s!(Project)), WRITE)
        },
        Op {
            query: s!(crate::api::PageQuery),
            ..op("get", "/api/v1/agreements", "The agreements register", "flows", Public, (200, s!(Page<Agreement>)), READ)
        },
        op("get", "/api/v1/transactions/{id}", "One flow", "flows", Public, (200, s!(Transaction)), READ),
        op("get", "/api/v1/projects/{id}", "One project", "flows", Public, (200, s!(Project)), READ),
        op("get", "/api/v1/agreements/{id}", "One agreement", "flows", Public, (200, s!(Agreement)), READ),
        op("get", "/api/v1/allocations/{id}", "One allocation", "pledges", Public, (200, s!(Allocation)), READ),
        Op {
            body: s!(flows::CreateAgreement),
            ..op("post", "/api/v1/agreements", "Register an agreement (coordinators)", "flows", SignedIn, (201, s!(Agreement)), WRITE)
        },
        Op {
            query: s!(flows::LogQuery),
            ..op("get", "/api/v1/audit-log", "The hash-chained audit log, newest first", "audit", SignedIn, (200, s!(Page<AuditEntry>)), &[400, 401, 403])
        },
        Op {
            query: s!(flows::LogQuery),
            ..op("get", "/api/v1/access-log", "Reads of AMBER, AMBER+STRICT and RED records", "audit", SignedIn, (200, s!(Vec<AccessEntry>)), &[400, 401, 403])
        },
        Op {
            query: s!(crate::api::PageQuery),
            ..op("get", "/api/v1/allocation-proposals", "Saved proposals", "engine", SignedIn, (200, s!(Page<Proposal>)), &[401, 403])
        },
        op("post", "/api/v1/allocation-proposals", "Run the allocation engine over the ledger", "engine", SignedIn, (201, s!(Proposal)), &[401, 403]),
        op("get", "/api/v1/allocation-proposals/{id}", "One proposal", "engine", SignedIn, (200, s!(Proposal)), READ),
        op("post", "/api/v1/allocation-proposals/{id}/apply", "Apply a proposal, all lines or none", "engine", SignedIn, (200, s!(Vec<Allocation>)), WRITE),
        Op {
            query: s!(engine::GapsQuery),
            ..op(
                "get",
                "/api/v1/gaps",
                "The unfunded gap, ranked by urgency × threat",
                "engine",
                Public,
                (200, s!(Vec<tallinn_allocate::gaps::GapRow>)),
                &[400, 422],
            )
        },
        op("get", "/api/v1/public/dashboard", "Every figure over TLP:CLEAR records (the public dashboard)", "reports", Public, (200, s!(Overview)), &[]),
        op("get", "/api/v1/public/iati.xml", "IATI 2.03 activities XML: one activity per funded TLP:CLEAR need", "reports", Public, (200, None), &[]),
        Op {
            query: s!(reports::ReportQuery),
            ..op("get", "/api/v1/reports", "Every figure over what the caller may see", "reports", Public, (200, s!(Overview)), &[400, 401])
        },
        Op {
            query: s!(reports::ReportQuery),
            ..op(
                "get",
                "/api/v1/reports/funding",
                "Committed, disbursed and spent EUR by one dimension (announced beside); format=csv for CSV",
                "reports",
                Public,
                (200, s!(tallinn_report::FundingTable)),
                &[400, 401],
            )
        },
        Op {
            query: s!(reports::ReportQuery),
            ..op(
                "get",
                "/api/v1/reports/{section}",
                "One section: coverage, gaps, timing, agreements or reconciliation; format=csv for CSV",
                "reports",
                Public,
                (200, None),
                &[400, 401, 404],
            )
        },
        op(
            "get",
            "/api/v1/reports/charts/{file}",
            "An SVG chart: funding-by-year.svg, coverage-by-sector.svg, top-gaps.svg, time-to-fund.svg",
            "reports",
            Public,
            (200, None),
            &[401, 404],
        ),
        Op {
            query: s!(engine::DuplicatesQuery),
            ..op("get", "/api/v1/duplicates", "Likely duplicate needs and overlapping pledges", "engine", SignedIn, (200, s!(Duplicates)), &[400, 401, 422])
        },
    ]
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
        409 => "The ledger's state refuses it (invalid transition, invariant)",
        413 => "Body larger than 1 MiB",
        415 => "Send application/json",
        422 => "A value is invalid (names the field)",
        429 => "Too many failed sign-ins",
        _ => "",
    }
}

fn build() -> Value {
    let settings = SchemaSettings::draft2020_12().with(|s| s.definitions_path = "#/components/schemas/".into());
    let mut g = settings.into_generator();
    let error = g.subschema_for::<crate::error::Body>();
    let ops = operations(&mut g);
    let definitions = g.take_definitions(true);
    let mut paths = Map::new();
    for op in &ops {
        let mut operation = Map::new();
        operation.insert("summary".into(), json!(op.summary));
        operation.insert("tags".into(), json!([op.tag]));
        operation.insert("operationId".into(), json!(format!("{}{}", op.method, op.path.replace(['/', '{', '}', '-'], "_"))));
        let mut parameters: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": if name == "id" && op.path.starts_with("/api/v1/tokens") { "integer" } else { "string" } } }))
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
        let ok = match &op.answer {
            Some(schema) => json!({ "description": reason(op.ok), "content": { "application/json": { "schema": schema } } }),
            None => json!({ "description": reason(op.ok) }),
        };
        responses.insert(op.ok.to_string(), ok);
        for status in op.errors {
            responses.insert(status.to_string(), json!({ "description": reason(*status), "content": { "application/json": { "schema": error } } }));
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
            item.insert(op.method.to_string(), Value::Object(operation));
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
