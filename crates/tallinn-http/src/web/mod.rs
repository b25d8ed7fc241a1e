//! The web interface: server-rendered pages (askama templates in
//! `templates/`, compiled into the binary), one stylesheet embedded as well,
//! no JavaScript needed. Every page reads the ledger through the same
//! visibility policy as the API (the store applies it), writes its reads of
//! AMBER/RED records to the access log (`via = "web"`), and every form is a
//! POST checked against the session's CSRF token before anything changes.
//! After a successful POST the browser is redirected (303) to the page that
//! shows the result; a refused one re-renders the form with each error
//! beside its field and what the user typed kept.

mod account;
mod allocation;
mod dashboard;
mod exchange;
mod form;
mod home;
pub mod i18n;
mod language;
mod login;
mod needs;
mod pledges;
mod registers;
mod session;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tallinn_core::policy::{self, Principal, work};
use tallinn_ledger::StoreError;

pub use form::FormState;
use i18n::Catalogue;
pub use session::{Viewer, constant_time_eq};

use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/assets/tallinn.css", get(stylesheet))
        .route("/login", get(login::form).post(login::sign_in))
        .route("/logout", post(login::sign_out))
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        .route("/account/sign-out-everywhere", post(account::sign_out_everywhere))
        .route("/home", get(home::page))
        .route("/needs", get(needs::catalogue))
        .route("/needs/new", get(needs::new_form).post(needs::create))
        .route("/needs/{id}", get(needs::detail))
        .route("/needs/{id}/edit", get(needs::edit_form).post(needs::amend))
        .route("/needs/{id}/{action}", post(needs::act))
        .route("/reviews", get(needs::review_queue))
        .route("/pledges", get(pledges::list))
        .route("/pledges/new", get(pledges::new_form).post(pledges::create))
        .route("/pledges/{id}", get(pledges::detail))
        .route("/pledges/{id}/{action}", post(pledges::act))
        .route("/allocation", get(allocation::list))
        .route("/allocation/run", post(allocation::run))
        .route("/allocation/{id}", get(allocation::detail))
        .route("/allocation/{id}/apply", post(allocation::apply))
        .route("/projects", get(registers::projects))
        .route("/projects/{id}/{action}", post(registers::project_act))
        .route("/agreements", get(registers::agreements))
        .route("/participants", get(registers::participants))
        .route("/users/password", post(registers::set_password))
        .route("/users/{name}/{action}", post(registers::user_act))
        .route("/audit", get(registers::audit_log))
        .route("/access", get(registers::access_log))
        .route("/exchange", get(exchange::overview))
        .route("/language/{lang}", get(language::choose))
        .layer(axum::middleware::map_response(html_errors))
}

/// Gives the errors made outside the page handlers (a malformed query
/// string, a method a page does not take) the HTML error page instead of the
/// API's JSON body.
async fn html_errors(response: Response) -> Response {
    let status = response.status();
    let is_html = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_html {
        return response;
    }
    let cat = Catalogue::english();
    let (parts, body) = response.into_parts();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => cat.get("error.method").to_string(),
        s if s.is_server_error() => cat.get("error.internal").to_string(),
        // axum's rejections explain themselves in a line of text.
        _ => match axum::body::to_bytes(body, 4096).await {
            Ok(text) if !text.is_empty() => cat.fill("error.bad_query", &[("reason", &String::from_utf8_lossy(&text))]),
            _ => status.canonical_reason().unwrap_or("bad request").to_string(),
        },
    };
    let mut out = WebError::page(status, message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// The stylesheet, embedded; cached by browsers for an hour.
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        include_str!("../../assets/tallinn.css"),
    )
        .into_response()
}

/// One link of the navigation bar.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's frame shows: title, reader, navigation, message.
#[derive(Debug, Clone)]
pub struct Layout {
    pub cat: &'static Catalogue,
    pub title: String,
    /// "name · role · organisation", when signed in.
    pub user: Option<String>,
    /// The session's CSRF token (for the sign-out form and page forms).
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// A confirmation after a redirect (`?done=...`).
    pub flash: Option<String>,
}

/// Whether a reader works in a page.
type WorksIn = fn(&Principal) -> bool;

/// The navigation bar: each page, in order, with the rule that decides who
/// works in it — the same function the page itself (or the action behind
/// it) applies, so a link is offered exactly to those the page serves.
const NAV: &[(&str, &str, WorksIn)] = &[
    ("/", "nav.dashboard", |_| true),
    ("/home", "nav.home", work::signed_in),
    ("/needs", "nav.catalogue", work::signed_in),
    ("/needs/new", "nav.file_need", work::files_needs),
    ("/reviews", "nav.reviews", work::reviews_needs),
    ("/pledges", "nav.pledges", work::follows_pledges),
    ("/pledges/new", "nav.new_pledge", work::pledges),
    ("/allocation", "nav.allocation", |who| policy::admin::read_proposals(who).is_ok()),
    ("/projects", "nav.projects", work::follows_projects),
    ("/participants", "nav.participants", |who| policy::admin::add_participants(who).is_ok()),
    ("/audit", "nav.audit", |who| policy::admin::read_audit_log(who).is_ok()),
    ("/access", "nav.access", |who| policy::admin::read_access_log(who).is_ok()),
    ("/agreements", "nav.agreements", work::signed_in),
    ("/account", "nav.account", work::signed_in),
    ("/exchange", "nav.exchange", work::uses_exchange),
];

/// The pages `who` works in, in the order of the navigation bar.
fn nav_for(who: &Principal) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    NAV.iter().filter(move |(_, _, works_in)| works_in(who)).map(|(href, label, _)| (*href, *label))
}

impl Layout {
    /// The frame of a page at `path` titled by the catalogue key `title`.
    pub fn new(viewer: &Viewer, title_key: &str, path: &str) -> Layout {
        Layout::titled(viewer, viewer.cat.get(title_key).to_string(), path)
    }

    /// The frame of a page with a title of its own (a record's name).
    pub fn titled(viewer: &Viewer, title: String, path: &str) -> Layout {
        let cat = viewer.cat;
        let user = match &viewer.principal {
            Principal::User { name, org, role } => Some(format!("{name} · {} · {org}", cat.word("role", role.as_str()))),
            _ => None,
        };
        let nav = nav_for(&viewer.principal)
            .map(|(href, key)| NavItem {
                href,
                label: cat.get(key),
                current: href == path || (href != "/" && path.starts_with(href) && !nav_has_longer(viewer, path, href)),
            })
            .collect();
        Layout { cat, title, user, csrf: viewer.csrf.clone().unwrap_or_default(), nav, flash: None }
    }

    /// Adds the confirmation named by `?done=KEY` (only known keys are shown,
    /// so a link cannot make the page say anything else).
    pub fn with_flash(mut self, done: Option<&str>) -> Layout {
        self.flash = done.map(|d| format!("flash.{d}")).and_then(|key| (self.cat.get(&key) != key).then(|| self.cat.get(&key).to_string()));
        self
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.cat.get(key)
    }

    pub fn word<'a>(&self, vocabulary: &str, word: &'a str) -> &'a str {
        self.cat.word(vocabulary, word)
    }

    /// EUR cents as "1,234,567.89".
    pub fn eur<T: std::borrow::Borrow<i64>>(&self, minor: T) -> String {
        group_digits(&tallinn_core::money::format_minor(*minor.borrow(), 2), self.cat.get("number.group"), self.cat.get("number.decimal"))
    }

    /// The languages the reader may switch to (the footer's menu).
    pub fn languages(&self) -> &'static [Catalogue] {
        Catalogue::all()
    }

    /// A TLP badge's text, `TLP:AMBER+STRICT`, from the level's word.
    pub fn tlp(&self, word: &str) -> String {
        format!("TLP:{}", word.to_uppercase())
    }
}

/// Whether a longer navigation link also matches `path` (so `/needs/new` and
/// not `/needs` is the current page).
fn nav_has_longer(viewer: &Viewer, path: &str, href: &str) -> bool {
    nav_for(&viewer.principal).any(|(h, _)| h.len() > href.len() && path.starts_with(h))
}

/// Inserts `separator` between groups of three digits of a decimal string,
/// and writes its decimal point as `decimal`.
pub fn group_digits(number: &str, separator: &str, decimal: &str) -> String {
    let (sign, rest) = number.strip_prefix('-').map_or(("", number), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(number.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push_str(separator);
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}{decimal}{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `path` when it is a path of this site, so that a redirect to it cannot
/// lead elsewhere: not `//host`, nor `/\host`, which browsers read alike.
pub fn local_path(path: &str) -> Option<&str> {
    (path.starts_with('/') && !path.starts_with("//") && !path.contains('\\')).then_some(path)
}

/// Renders a page with status 200.
pub fn render(page: &impl Template) -> Result<Response, WebError> {
    render_status(StatusCode::OK, page)
}

/// Renders a page with the given status (a refused form is 422).
pub fn render_status(status: StatusCode, page: &impl Template) -> Result<Response, WebError> {
    match page.render() {
        Ok(html) => Ok((status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], html).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Err(WebError::page(StatusCode::INTERNAL_SERVER_ERROR, Catalogue::english().get("error.internal").to_string()))
        }
    }
}

/// A 303 to the page that shows the result of a form.
pub fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_string())]).into_response()
}

/// Why a page could not be shown: an HTML error page, or a redirect to the
/// sign-in page.
#[derive(Debug)]
pub enum WebError {
    Page { status: StatusCode, message: String },
    SignIn { back_to: String },
}

impl WebError {
    pub fn page(status: StatusCode, message: String) -> WebError {
        WebError::Page { status, message }
    }

    pub fn sign_in(back_to: &str) -> WebError {
        WebError::SignIn { back_to: back_to.to_string() }
    }

    pub fn csrf(cat: &'static Catalogue) -> WebError {
        WebError::page(StatusCode::FORBIDDEN, cat.get("error.csrf").to_string())
    }

    pub fn bad_request(message: String) -> WebError {
        WebError::page(StatusCode::BAD_REQUEST, message)
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::page(e.status, e.message)
    }
}

impl From<tallinn_core::FieldError> for WebError {
    fn from(e: tallinn_core::FieldError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { back_to } => {
                let next = serde_urlencoded::to_string([("next", back_to.as_str())]).unwrap_or_default();
                see_other(&format!("/login?{next}"))
            }
            WebError::Page { status, message } => {
                let cat = Catalogue::english();
                let l = Layout { cat, title: cat.get("error.title").to_string(), user: None, csrf: String::new(), nav: Vec::new(), flash: None };
                let page = ErrorPage { l, status: status.as_u16(), message };
                match page.render() {
                    Ok(html) => (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], html).into_response(),
                    Err(_) => (status, page.message).into_response(),
                }
            }
        }
    }
}

/// The HTML answer for a path that is no page.
pub fn not_found() -> Response {
    WebError::page(StatusCode::NOT_FOUND, Catalogue::english().get("error.not_found").to_string()).into_response()
}

/// Refuses a query string with a parameter the page does not know (a typo
/// would otherwise silently show an unfiltered list).
pub fn only_parameters(query: &std::collections::HashMap<String, String>, known: &[&str], cat: &'static Catalogue) -> Result<(), WebError> {
    match query.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(WebError::bad_request(cat.fill("error.unknown_parameter", &[("field", k)]))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_digits() {
        assert_eq!(super::group_digits("241700000.00", ",", "."), "241,700,000.00");
        assert_eq!(super::group_digits("-1234.5", ",", "."), "-1,234.5");
        assert_eq!(super::group_digits("999", ",", "."), "999");
        assert_eq!(super::group_digits("1000", ",", "."), "1,000");
        assert_eq!(super::group_digits("241700000.00", "\u{202f}", ","), "241\u{202f}700\u{202f}000,00");
    }
}
