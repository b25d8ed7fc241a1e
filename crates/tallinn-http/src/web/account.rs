//! `/account`: a signed-in user changes its own password (giving the
//! current one) and signs out everywhere. Both end every session of the
//! account, this browser's included (ADR 0013).

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::form::Posted;
use super::{FormState, Layout, Viewer, WebError, render_status};
use crate::AppState;
use crate::auth::{ClientAddress, SESSION_COOKIE, verify_password};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    form: FormState,
}

fn page(viewer: &Viewer, form: FormState, status: StatusCode) -> Result<Response, WebError> {
    render_status(status, &AccountPage { l: Layout::new(viewer, "account.title", "/account"), form })
}

/// `GET /account`
pub async fn show(viewer: Viewer) -> Result<Response, WebError> {
    viewer.signed_in("/account")?;
    page(&viewer, FormState::default(), StatusCode::OK)
}

/// Back to the sign-in page, the session cookie cleared.
fn signed_out(done: &str) -> Response {
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/login?done={done}")), (header::SET_COOKIE, expired)]).into_response()
}

/// `POST /account/password`
pub async fn change_password(
    State(s): State<AppState>,
    viewer: Viewer,
    ClientAddress(address): ClientAddress,
    Posted(mut form): Posted,
) -> Result<Response, WebError> {
    let who = viewer.check_form(form.values(), "/account")?;
    let Some(name) = viewer.name().map(str::to_string) else { return Err(WebError::sign_in("/account")) };
    let current = form.required("current", viewer.cat.get("account.current_required"));
    let password = form.required("password", viewer.cat.get("account.too_short"));
    if let Some(p) = &password
        && p.chars().count() < tallinn_core::participant::MIN_PASSWORD_CHARS
    {
        form.fail("password", viewer.cat.get("account.too_short"));
    }
    if password.as_deref() != Some(form.value("repeat")) {
        form.fail("repeat", viewer.cat.get("account.mismatch"));
    }
    let (Some(current), Some(password)) = (current, password) else {
        return page(&viewer, FormState::default_with_errors(&form), StatusCode::UNPROCESSABLE_ENTITY);
    };
    if form.has_errors() {
        return page(&viewer, FormState::default_with_errors(&form), StatusCode::UNPROCESSABLE_ENTITY);
    }
    if let Err(e) = verify_password(&s, &name, &current, &address).await {
        let message = if e.status == StatusCode::TOO_MANY_REQUESTS { e.message } else { viewer.cat.get("account.current_wrong").to_string() };
        form.fail("current", message);
        return page(&viewer, FormState::default_with_errors(&form), e.status);
    }
    let hash = crate::api::accounts::hash_new_password(password).await?;
    s.ledger.change_password(who, &name, &hash).await.map_err(crate::ApiError::from)?;
    s.credentials.clear();
    Ok(signed_out("password_changed"))
}

/// `POST /account/sign-out-everywhere`
pub async fn sign_out_everywhere(State(s): State<AppState>, viewer: Viewer, Posted(form): Posted) -> Result<Response, WebError> {
    viewer.check_form(form.values(), "/account")?;
    if let Some(name) = viewer.name() {
        s.ledger.close_all_sessions(name).await.map_err(crate::ApiError::from)?;
    }
    Ok(signed_out("signed_out_everywhere"))
}
