//! TAXII 2.1 (OASIS, 2021) over the exchange's store: discovery, one API
//! root, collections, objects (get, add, get one, delete), versions,
//! manifest and status, each with and without the trailing slash.
//!
//! Every answer, errors included, has the TAXII media type. Callers
//! authenticate as on the API (Bearer token, HTTP Basic with the cached
//! check, or a browser session); the store decides which collections they
//! may use and which objects they may see, so a hidden object is absent
//! from objects, manifests, versions, counts and headers alike.

mod error;
mod handlers;
mod media;
mod query;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub use error::{TaxiiError, taxii_errors};
/// The query parser, public for its fuzz target.
pub use query::{DELETE, OBJECT, OBJECTS, Param, VERSIONS, parse as parse_query};

/// The API root's path segment.
pub const API_ROOT: &str = "tallinn";
/// The largest envelope accepted (the API root's `max_content_length`).
pub const MAX_CONTENT_LENGTH: usize = 16 * 1024 * 1024;

/// Adds `path` and `path/` (TAXII clients use both).
fn both(router: Router<AppState>, path: &str, method: axum::routing::MethodRouter<AppState>) -> Router<AppState> {
    let trimmed = path.trim_end_matches('/');
    router.route(trimmed, method.clone()).route(&format!("{trimmed}/"), method)
}

/// The TAXII routes, with their own body limit and error form.
pub fn routes() -> Router<AppState> {
    let root = format!("/taxii2/{API_ROOT}");
    let collection = format!("{root}/collections/{{collection}}");
    let mut r = Router::new();
    r = both(r, "/taxii2", get(handlers::discovery));
    r = both(r, &root, get(handlers::api_root));
    r = both(r, &format!("{root}/status/{{status}}"), get(handlers::status));
    r = both(r, &format!("{root}/collections"), get(handlers::collections));
    r = both(r, &collection, get(handlers::collection));
    r = both(r, &format!("{collection}/objects"), get(handlers::objects).post(handlers::add_objects));
    r = both(r, &format!("{collection}/objects/{{object}}"), get(handlers::object).delete(handlers::delete_object));
    r = both(r, &format!("{collection}/objects/{{object}}/versions"), get(handlers::versions));
    r = both(r, &format!("{collection}/manifest"), get(handlers::manifest));
    r.layer(axum::middleware::map_response(taxii_errors))
}
