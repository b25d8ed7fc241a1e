//! `/login` and `/logout`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::form::Posted;
use super::session::{LOGIN_CSRF_COOKIE, login_cookie, login_form_value, login_form_value_matches, new_login_token};
use super::{FormState, Layout, Viewer, WebError, render_status, see_other};
use crate::api::session::SESSION_HOURS;
use crate::auth::{ClientAddress, SESSION_COOKIE, verify_password};
use crate::{AppState, Options};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    form: FormState,
    /// The CSRF value of this form (also in its cookie).
    token: String,
    /// A wrong password, an expired form, too many attempts.
    problem: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    /// A confirmation to show (`password_changed`, `signed_out_everywhere`).
    done: Option<String>,
}

/// Only a path of this site may follow the sign-in (never another site).
fn safe_next(next: &str) -> &str {
    super::local_path(next).unwrap_or("/home")
}

fn login_cookie_header(token: &str, options: &Options) -> String {
    let secure = if options.secure_cookies { "; Secure" } else { "" };
    format!("{LOGIN_CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600{secure}")
}

/// The installation's key for the sign-in form (read once per process).
async fn login_key(state: &AppState) -> Result<[u8; 32], WebError> {
    Ok(*state.login_key.get_or_try_init(|| state.ledger.server_key("login-csrf")).await.map_err(crate::ApiError::from)?)
}

/// The page with a fresh CSRF nonce in its cookie and the nonce's signed
/// value in the form.
async fn login_page(state: &AppState, viewer: &Viewer, form: FormState, problem: Option<String>, status: StatusCode) -> Result<Response, WebError> {
    login_page_with(state, viewer, form, problem, status, None).await
}

async fn login_page_with(
    state: &AppState,
    viewer: &Viewer,
    form: FormState,
    problem: Option<String>,
    status: StatusCode,
    done: Option<&str>,
) -> Result<Response, WebError> {
    let nonce = new_login_token();
    let token = login_form_value(&login_key(state).await?, &nonce);
    let page = LoginPage { l: Layout::new(viewer, "login.title", "/login").with_flash(done), form, token, problem };
    let mut response = render_status(status, &page)?;
    if let Ok(v) = login_cookie_header(&nonce, &state.options).parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// `GET /login`
pub async fn form(State(s): State<AppState>, viewer: Viewer, Query(query): Query<NextQuery>) -> Result<Response, WebError> {
    let next = query.next.unwrap_or_else(|| "/home".into());
    if viewer.name().is_some() {
        return Ok(see_other(safe_next(&next)));
    }
    login_page_with(&s, &viewer, FormState::with(&[("next", &next)]), None, StatusCode::OK, query.done.as_deref()).await
}

/// `POST /login`: refused without the form's CSRF value; a wrong password
/// shows the form again (the user name kept, the password not).
pub async fn sign_in(
    State(s): State<AppState>,
    viewer: Viewer,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Posted(mut form): Posted,
) -> Result<Response, WebError> {
    let sent = form.value("csrf").to_string();
    let nonce = login_cookie(&headers).unwrap_or_default();
    if !login_form_value_matches(&login_key(&s).await?, &nonce, &sent) {
        return Err(WebError::csrf(viewer.cat));
    }
    let user = form.required("user", viewer.cat.get("login.user_required"));
    let password = form.required("password", viewer.cat.get("login.password_required"));
    let (Some(user), Some(password)) = (user, password) else {
        return login_page(&s, &viewer, form, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if let Err(e) = verify_password(&s, &user, &password, &address).await {
        let problem = if e.status == StatusCode::TOO_MANY_REQUESTS { e.message } else { viewer.cat.get("login.wrong").to_string() };
        let kept = FormState::with(&[("user", &user), ("next", form.value("next"))]);
        return login_page(&s, &viewer, kept, Some(problem), e.status).await;
    }
    let (secret, _csrf) = s.ledger.open_session(&user, SESSION_HOURS).await?;
    let secure = if s.options.secure_cookies { "; Secure" } else { "" };
    let session = format!("{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}", SESSION_HOURS * 3600);
    let mut response = see_other(safe_next(form.value("next")));
    let headers = response.headers_mut();
    for cookie in [session, format!("{LOGIN_CSRF_COOKIE}=; HttpOnly; SameSite=Strict; Path=/login; Max-Age=0")] {
        if let Ok(v) = cookie.parse() {
            headers.append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

/// `POST /logout`: closes the session (its CSRF token required).
pub async fn sign_out(State(s): State<AppState>, viewer: Viewer, Posted(form): Posted) -> Result<Response, WebError> {
    viewer.check_form(form.values(), "/")?;
    if let Some(secret) = &viewer.secret {
        s.ledger.close_session(secret).await?;
    }
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/?done=signed_out".to_string()), (header::SET_COOKIE, expired)]).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn follows_only_local_paths() {
        assert_eq!(super::safe_next("/needs/N-1"), "/needs/N-1");
        assert_eq!(super::safe_next("https://evil.example/"), "/home");
        assert_eq!(super::safe_next("//evil.example/"), "/home");
        assert_eq!(super::safe_next("/\\evil.example"), "/home");
    }
}
