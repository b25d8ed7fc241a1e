//! The web interface in process: sign-in and its CSRF checks, forms that
//! keep what was typed, and pages that show only what their reader may see.
//! (The whole flow in a real browser is in `crates/tallinn/tests/it/browser.rs`.)

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tallinn_core::policy::{Principal, may_see};
use tallinn_ledger::Ledger;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

/// A browser in miniature: the cookies it holds.
#[derive(Default, Clone)]
struct Browser {
    cookies: Vec<(String, String)>,
}

struct Answer {
    status: StatusCode,
    location: String,
    body: String,
}

impl Browser {
    async fn send(&mut self, app: &axum::Router, method: &str, uri: &str, form: Option<&[(&str, &str)]>) -> Answer {
        self.send_with(app, method, uri, form, &[]).await
    }

    async fn send_with(&mut self, app: &axum::Router, method: &str, uri: &str, form: Option<&[(&str, &str)]>, headers: &[(&str, &str)]) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if !self.cookies.is_empty() {
            let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header(header::COOKIE, cookie.join("; "));
        }
        let body = match form {
            Some(fields) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(serde_urlencoded::to_string(fields).unwrap())
            }
            None => Body::empty(),
        };
        let response = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let (pair, _) = set.to_str().unwrap().split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        let status = response.status();
        let location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let body = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        Answer { status, location, body }
    }

    async fn get(&mut self, app: &axum::Router, uri: &str) -> Answer {
        self.send(app, "GET", uri, None).await
    }

    async fn post(&mut self, app: &axum::Router, uri: &str, form: &[(&str, &str)]) -> Answer {
        self.send(app, "POST", uri, Some(form)).await
    }

    fn has_session(&self) -> bool {
        self.cookies.iter().any(|(k, _)| k == "tallinn_session")
    }

    /// Signs in through the login form.
    async fn sign_in(&mut self, app: &axum::Router, user: &str) -> Answer {
        let page = self.get(app, "/login").await;
        let token = hidden(&page.body, "csrf");
        self.post(app, "/login", &[("csrf", &token), ("user", user), ("password", PASSWORD), ("next", "/home")]).await
    }
}

/// The value of a hidden input of a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} field in {page}")) + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// The demo ledger, every demo account with the same password.
async fn app() -> (axum::Router, Ledger, tempfile::TempDir) {
    let (app, ledger, dir) = super::demo_app().await;
    let hash = {
        use argon2::PasswordHasher;
        let salt = argon2::password_hash::SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2::Argon2::default().hash_password(PASSWORD.as_bytes(), &salt).unwrap().to_string()
    };
    for (name, ..) in tallinn_demo::USERS {
        ledger.set_password(Principal::System, name, &hash).await.unwrap();
    }
    (app, ledger, dir)
}

#[tokio::test]
async fn sign_in_needs_the_form_token_and_the_right_password() {
    let (app, _ledger, _dir) = app().await;
    let mut b = Browser::default();

    // No token at all, or a token without its cookie: refused, no session.
    let r = b.post(&app, "/login", &[("user", "demo.donor"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("nothing was changed"));
    let r = Browser::default().post(&app, "/login", &[("csrf", "0123"), ("user", "demo.donor"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!b.has_session());

    // A cookie planted with a value of the attacker's choosing, and the same
    // value in the form (the double-submit check this once accepted): refused.
    let mut planted = Browser::default();
    planted.cookies.push(("tallinn_login_csrf".into(), "0123456789abcdef0123456789abcdef0123456789abcdef".into()));
    let r = planted.post(&app, "/login", &[("csrf", "0123456789abcdef0123456789abcdef0123456789abcdef"), ("user", "demo.donor"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!planted.has_session());

    // A token from another form: refused.
    let page = b.get(&app, "/login").await;
    assert!(page.body.contains("<label for=\"user\">") && page.body.contains("<main id=\"main\""), "labelled fields, landmarks");
    let token = hidden(&page.body, "csrf");
    let r = b.post(&app, "/login", &[("csrf", &format!("{token}x")), ("user", "demo.donor"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A wrong password: refused, the user name kept, no session.
    let page = b.get(&app, "/login").await;
    let r = b.post(&app, "/login", &[("csrf", &hidden(&page.body, "csrf")), ("user", "demo.donor"), ("password", "wrong")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("The user name or password is wrong") && r.body.contains("value=\"demo.donor\""), "{}", r.body);
    assert!(!b.has_session());

    // The right password: a session, and back to where the reader was going.
    let page = b.get(&app, "/login?next=/pledges").await;
    let r = b.post(&app, "/login", &[("csrf", &hidden(&page.body, "csrf")), ("user", "demo.donor"), ("password", PASSWORD), ("next", "/pledges")]).await;
    assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/pledges"));
    assert!(b.has_session());
    let home = b.get(&app, "/home").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("demo.donor · Donor · EE") && home.body.contains("href=\"/pledges/new\""), "{}", home.body);

    // Sign-out needs the session's token too.
    let r = b.post(&app, "/logout", &[("csrf", "forged")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get(&app, "/home").await.status, StatusCode::OK, "still signed in");
    let r = b.post(&app, "/logout", &[("csrf", &hidden(&home.body, "csrf"))]).await;
    assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/?done=signed_out"));
    let r = b.get(&app, "/home").await;
    assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/login?next=%2Fhome"));
}

#[tokio::test]
async fn forms_keep_what_was_typed_and_show_each_error_beside_its_field() {
    let (app, ledger, _dir) = app().await;
    let mut b = Browser::default();
    b.sign_in(&app, "demo.beneficiary").await;
    let form = b.get(&app, "/needs/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = hidden(&form.body, "csrf");
    let before = ledger.needs(&Principal::System, &Default::default()).await.unwrap().len();

    // Without the session's token: nothing is filed.
    let r = b.post(&app, "/needs/new", &[("title", "Sensors"), ("beneficiary", "UA-DEMO-CERT")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let typed = [
        ("csrf", csrf.as_str()),
        ("beneficiary", "UA-DEMO-CERT"),
        ("title", "Network sensors for the regional SOC"),
        ("description", "Twelve sensors <b>now</b>"),
        ("capability", ""),
        ("sector", "energy"),
        ("urgency", "high"),
        ("cost_eur", "12,5k"),
        ("tlp", "amber"),
        ("tags", "sensors soc"),
    ];
    let r = b.post(&app, "/needs/new", &typed).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"cost_eur-error\"") && r.body.contains("&#39;12,5k&#39; is not a valid amount"), "{}", r.body);
    assert!(r.body.contains("id=\"capability-error\""));
    assert!(r.body.contains("aria-invalid=\"true\" aria-describedby=\"cost_eur-error\""));
    assert!(r.body.contains("value=\"Network sensors for the regional SOC\"") && r.body.contains("<option value=\"energy\" selected>"));
    assert!(r.body.contains("Twelve sensors &#60;b&#62;now&#60;/b&#62;") || r.body.contains("Twelve sensors &lt;b&gt;now&lt;/b&gt;"), "escaped");
    assert_eq!(ledger.needs(&Principal::System, &Default::default()).await.unwrap().len(), before, "nothing filed");

    // Corrected: filed as a draft, shown with a confirmation.
    let mut fixed = typed.to_vec();
    fixed.retain(|(k, _)| !matches!(*k, "capability" | "cost_eur"));
    fixed.extend([("capability", "detect"), ("cost_eur", "12500.50")]);
    let r = b.post(&app, "/needs/new", &fixed).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.location.strip_prefix("/needs/").unwrap().split('?').next().unwrap().to_string();
    let need = ledger.need(&Principal::System, id.parse().unwrap()).await.unwrap();
    assert_eq!((need.cost_eur_minor, need.tags.clone(), need.status.as_str()), (1_250_050, vec!["sensors".to_string(), "soc".to_string()], "draft"));
    let page = b.get(&app, &r.location).await;
    assert!(page.body.contains("The need is saved as a draft") && page.body.contains("id=\"submit-need\""));

    // The draft is edited in the same form, filled with what was filed.
    let edit = b.get(&app, &format!("/needs/{id}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(
        edit.body.contains("value=\"12500.50\"") && edit.body.contains("value=\"sensors, soc\"") && edit.body.contains(&format!("action=\"/needs/{id}/edit\""))
    );
    let mut revised = fixed.clone();
    revised.retain(|(k, _)| *k != "cost_eur");
    revised.push(("cost_eur", "13000"));
    let r = b.post(&app, &format!("/needs/{id}/edit"), &revised).await;
    assert_eq!((r.status, r.location.clone()), (StatusCode::SEE_OTHER, format!("/needs/{id}?done=need_amended")), "{}", r.body);
    assert_eq!(ledger.need(&Principal::System, id.parse().unwrap()).await.unwrap().cost_eur_minor, 1_300_000);
    // Submitted, it can no longer be edited: the form says why.
    let r = b.post(&app, &format!("/needs/{id}/submit"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = b.post(&app, &format!("/needs/{id}/edit"), &revised).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("only a draft may be edited"), "{}", r.body);

    // A review by someone who may not review: refused with the store's reason, nothing changes.
    let r = b.post(&app, &format!("/needs/{id}/review"), &[("csrf", &csrf), ("panel", "technical"), ("decision", "approve"), ("feasibility", "nine")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a score that is not a number is named first");
    assert!(r.body.contains("Give a whole number from 0 to 5"));
    let r = b
        .post(
            &app,
            &format!("/needs/{id}/review"),
            &[("csrf", &csrf), ("panel", "technical"), ("decision", "approve"), ("feasibility", "4"), ("relevance", "4")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("not a panel reviewer"), "{}", r.body);
    assert!(ledger.need_reviews(&Principal::System, id.parse().unwrap()).await.unwrap().is_empty());
}

#[tokio::test]
async fn in_kind_pledges_and_project_delivery_through_the_forms() {
    let (app, ledger, _dir) = app().await;
    let mut donor = Browser::default();
    donor.sign_in(&app, "demo.donor").await;
    let csrf = hidden(&donor.get(&app, "/pledges/new").await.body, "csrf");
    let base = [("csrf", csrf.as_str()), ("donor", "EE"), ("title", "Terminals"), ("currency", "EUR"), ("pledged_on", "2026-10-01"), ("tlp", "green")];
    let before = ledger.pledges(&Principal::System, None, None).await.unwrap().len();
    // In kind without items; then an item with a bad quantity: each error
    // beside its cell, what was typed kept, nothing recorded.
    let mut form = base.to_vec();
    form.push(("kind", "in_kind"));
    let r = donor.post(&app, "/pledges/new", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"item_description_1-error\"") && r.body.contains("List at least one item"), "{}", r.body);
    // Every error at once: a missing title does not hide the missing items.
    let untitled: Vec<(&str, &str)> = form.iter().map(|&(k, v)| if k == "title" { (k, "") } else { (k, v) }).collect();
    let r = donor.post(&app, "/pledges/new", &untitled).await;
    assert!(r.body.contains("id=\"title-error\"") && r.body.contains("id=\"item_description_1-error\""), "{}", r.body);
    form.extend([("item_description_1", "Satellite terminal"), ("item_quantity_1", "twenty"), ("item_unit_value_1", "1500")]);
    let r = donor.post(&app, "/pledges/new", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"item_quantity_1-error\"") && r.body.contains("value=\"twenty\""), "{}", r.body);
    assert_eq!(ledger.pledges(&Principal::System, None, None).await.unwrap().len(), before);
    // An amount that is not the items' total is refused beside the amount.
    form.retain(|(k, _)| *k != "item_quantity_1");
    form.extend([("item_quantity_1", "20"), ("amount", "1.00")]);
    let r = donor.post(&app, "/pledges/new", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"amount-error\""), "{}", r.body);
    // Left empty, the amount is the total.
    form.retain(|(k, _)| *k != "amount");
    form.extend([("valuation", "donor_cost")]);
    let r = donor.post(&app, "/pledges/new", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.location.strip_prefix("/pledges/").unwrap().split('?').next().unwrap().to_string();
    let pledge = ledger.pledge(&Principal::System, id.parse().unwrap()).await.unwrap();
    assert_eq!((pledge.kind.as_str(), pledge.amount_minor, pledge.valuation.map(|v| v.as_str())), ("in_kind", 3_000_000, Some("donor_cost")));
    let page = donor.get(&app, &r.location).await;
    assert!(page.body.contains("20 × Satellite terminal · EUR 1500.00"), "{}", page.body);
    // A money pledge ignores the item rows' absence and needs its amount.
    let mut money = base.to_vec();
    money.push(("kind", "money"));
    let r = donor.post(&app, "/pledges/new", &money).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("id=\"amount-error\""), "{}", r.body);

    // A funded need without a project: the office starts one, then plans.
    let funded = ledger
        .needs(&Principal::System, &tallinn_ledger::NeedFilter { status: Some(tallinn_core::need::NeedStatus::Funded), ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("the demo has a funded need");
    let mut office = Browser::default();
    office.sign_in(&app, "demo.coordinator").await;
    let page = office.get(&app, &format!("/needs/{}", funded.id)).await;
    assert!(page.body.contains("id=\"start-project\"") && page.body.contains("value=\"IMP-DEMO-B\""), "offered to the office");
    let csrf = hidden(&page.body, "csrf");
    let start = format!("/needs/{}/project", funded.id);
    let r = office.post(&app, &start, &[("csrf", &csrf), ("implementer", ""), ("project_title", "Delivery"), ("delivery_description_1", "Sensor")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"implementer-error\"") && r.body.contains("id=\"delivery_quantity_1-error\""), "{}", r.body);
    let r = office.post(&app, &start, &[("csrf", &csrf), ("implementer", "EE"), ("project_title", "Delivery")]).await;
    // 409: well formed, but EE is not an implementer in this ledger (ADR 0014).
    assert!(r.status == StatusCode::CONFLICT && r.body.contains("not an implementer"), "the store's reason beside the field: {}", r.body);
    let r = office
        .post(
            &app,
            &start,
            &[
                ("csrf", &csrf),
                ("implementer", "IMP-DEMO-B"),
                ("project_title", "Delivery"),
                ("delivery_description_1", "Sensor"),
                ("delivery_quantity_1", "4"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let project = r.location.rsplit_once("#project-").unwrap().1.to_string();
    let p = ledger.project(&Principal::System, project.parse().unwrap()).await.unwrap();
    assert_eq!((p.implementer.as_str(), p.items.len(), p.need), ("IMP-DEMO-B", 1, funded.id));
    let r = office.post(&app, &start, &[("csrf", &csrf), ("implementer", "IMP-DEMO-B"), ("project_title", "Again")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a need in delivery takes no second project");
    let plan = format!("/projects/{project}/plan");
    let r = office.post(&app, &plan, &[("csrf", &csrf), ("milestone_title", "Installed"), ("due", "next week")]).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("id=\"due-error\"") && r.body.contains("value=\"Installed\""), "{}", r.body);
    let r = office.post(&app, &plan, &[("csrf", &csrf), ("milestone_title", "Installed"), ("due", "2027-01-15")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(ledger.project(&Principal::System, project.parse().unwrap()).await.unwrap().milestones.len(), 1);
    // Another implementer may not plan it (the store refuses; nothing added).
    let mut other = Browser::default();
    other.sign_in(&app, "demo.implementer").await;
    let page = other.get(&app, "/projects").await;
    assert!(!page.body.contains(&format!("id=\"plan-{project}\"")), "not offered to IMP-DEMO-A");
    let csrf = hidden(&page.body, "csrf");
    let r = other.post(&app, &plan, &[("csrf", &csrf), ("milestone_title", "Sneaky")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(ledger.project(&Principal::System, project.parse().unwrap()).await.unwrap().milestones.len(), 1);
}

#[tokio::test]
async fn pages_speak_the_readers_language() {
    let (app, _ledger, _dir) = app().await;
    let mut b = Browser::default();
    // The browser's languages: the first one shipped.
    let r = b.send_with(&app, "GET", "/login", None, &[("accept-language", "de-DE,uk;q=0.8,en;q=0.5")]).await;
    assert!(r.body.contains("<html lang=\"uk\">") && r.body.contains("Ім’я користувача"), "{}", r.body);
    let r = b.send_with(&app, "GET", "/", None, &[("accept-language", "fr-FR")]).await;
    assert!(r.body.contains("<html lang=\"fr\">") && r.body.contains("Assistance cyber civile à l’Ukraine"));
    assert!(r.body.contains("EUR 241\u{202f}700\u{202f}000,00") || r.body.contains("241\u{202f}700\u{202f}000,00"), "French grouping and decimal comma");
    // A choice made in the footer wins, and returns to the page it was made on.
    let r = b.send_with(&app, "GET", "/language/fr", None, &[("referer", "http://127.0.0.1:8080/login?next=%2Fneeds")]).await;
    assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/login?next=%2Fneeds"));
    let r = b.send_with(&app, "GET", "/login", None, &[("accept-language", "uk")]).await;
    assert!(r.body.contains("<html lang=\"fr\">") && r.body.contains("Nom d’utilisateur"), "{}", r.body);
    // Signed in, forms and their errors are in that language too.
    b.sign_in(&app, "demo.beneficiary").await;
    let csrf = hidden(&b.get(&app, "/needs/new").await.body, "csrf");
    let r = b.post(&app, "/needs/new", &[("csrf", &csrf), ("title", "")]).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("Ce champ est obligatoire."), "{}", r.body);
    assert_eq!(b.get(&app, "/language/xx").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get(&app, "/language/en").await.status, StatusCode::SEE_OTHER);
    assert!(b.get(&app, "/home").await.body.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn no_page_shows_a_record_its_reader_may_not_see() {
    let (app, ledger, _dir) = app().await;
    let needs = ledger.needs(&Principal::System, &Default::default()).await.unwrap();
    let pledges = ledger.pledges(&Principal::System, None, None).await.unwrap();
    let mut checked_hidden = 0;
    for (name, ..) in tallinn_demo::USERS {
        let who = ledger.principal(name).await.unwrap();
        let mut b = Browser::default();
        let r = b.sign_in(&app, name).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name} signs in");
        let mut pages = String::new();
        for uri in ["/home", "/pledges", "/reviews", "/allocation", "/projects", "/agreements", "/exchange", "/audit", "/access"] {
            let r = b.get(&app, uri).await;
            assert!(!r.status.is_server_error(), "{name} {uri}: {}", r.status);
            // Every page in a reader's navigation opens for them.
            if r.status != StatusCode::OK {
                assert!(
                    !b.get(&app, "/home").await.body.contains(&format!("<a href=\"{uri}\"")),
                    "{name}: {uri} is in the navigation but answers {}",
                    r.status
                );
            }
            pages.push_str(&r.body);
        }
        let mut uri = "/needs?sort=oldest".to_string();
        loop {
            let r = b.get(&app, &uri).await;
            assert_eq!(r.status, StatusCode::OK);
            pages.push_str(&r.body);
            let Some(at) = r.body.find("rel=\"next\"") else { break };
            let start = r.body[..at].rfind("href=\"").unwrap() + 6;
            uri = r.body[start..start + r.body[start..].find('"').unwrap()].replace("&#38;", "&").replace("&amp;", "&");
        }
        let visible = needs.iter().filter(|n| n.visible_to(&who)).count();
        assert!(pages.contains(&format!("Found: {visible} ")), "{name} is told how many needs they may see ({visible})");
        for n in &needs {
            let shown = pages.contains(&format!("href=\"/needs/{}\"", n.id));
            if !n.visible_to(&who) {
                checked_hidden += 1;
                assert!(!shown, "{name} was shown need {} ({})", n.id, n.tlp);
                let r = b.get(&app, &format!("/needs/{}", n.id)).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{name} opened need {}", n.id);
                assert!(!r.body.contains(&n.title), "the 404 says nothing of the need");
            } else {
                assert!(shown, "{name} may see need {} but the Catalogue omits it", n.id);
            }
        }
        for p in &pledges {
            if !may_see(&who, &p.confidentiality()) {
                assert!(!pages.contains(&format!("href=\"/pledges/{}\"", p.id)), "{name} was shown pledge {}", p.id);
                assert_eq!(b.get(&app, &format!("/pledges/{}", p.id)).await.status, StatusCode::NOT_FOUND);
            }
        }
    }
    assert!(checked_hidden > 0, "the demo holds records some readers may not see");
    // The web's reads of AMBER/RED needs are in the access log.
    let log = ledger.access_log(&Principal::System, 10_000).await.unwrap();
    assert!(log.iter().any(|e| e.via == "web" && e.entity == "need"));
}

#[tokio::test]
async fn the_catalogue_filters_sorts_searches_and_pages() {
    let (app, ledger, _dir) = app().await;
    let mut b = Browser::default();
    b.sign_in(&app, "demo.coordinator").await;
    let all = ledger.needs(&Principal::System, &Default::default()).await.unwrap();
    let approved = all.iter().filter(|n| n.status.as_str() == "approved" && n.capability.as_str() == "detect").count();
    let r = b.get(&app, "/needs?status=approved&capability=detect").await;
    assert!(r.body.contains(&format!("Found: {approved} ")), "{}", &r.body[r.body.find("Found").unwrap()..][..40]);
    let target = &all[all.len() / 2];
    let r = b.get(&app, &format!("/needs?q={}", target.id)).await;
    assert!(r.body.contains("Found: 1 ") && r.body.contains(&format!("href=\"/needs/{}\"", target.id)));
    let r = b.get(&app, "/needs?sort=cost").await;
    let largest = all.iter().max_by_key(|n| n.cost_eur_minor).unwrap();
    let first = r.body.find("href=\"/needs/N-").unwrap();
    assert!(
        r.body[first..].starts_with(&format!("href=\"/needs/{}\"", largest.id))
            || all.iter().filter(|n| n.cost_eur_minor == largest.cost_eur_minor).count() > 1
    );
    for bad in [
        "/needs?status=nonsense",
        "/needs?sort=sideways",
        "/needs?page=0",
        "/needs?colour=red",
        "/pledges?state=committed",
        "/pledges?status=promised",
        "/audit?before=x",
        // Query strings the extractors cannot read at all.
        "/pledges/P-1?done=a&done=b",
        "/projects?done=a&done=b",
    ] {
        let r = b.get(&app, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.body.contains("role=\"alert\""), "{bad}: an HTML page that says why");
    }
    // A method a page does not take: the HTML page too, with `allow`.
    let r = b.send(&app, "GET", "/logout", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body.contains("role=\"alert\"") && r.body.contains("does not accept"), "{}", r.body);
}

/// `/account`: a user changes its own password (the current one required,
/// the new one twice), which ends every session; and signs out everywhere.
#[tokio::test]
async fn a_user_changes_its_password_and_signs_out_everywhere() {
    let (app, _ledger, _dir) = app().await;
    let mut b = Browser::default();
    b.sign_in(&app, "demo.donor").await;
    let mut other = Browser::default();
    other.sign_in(&app, "demo.donor").await;
    let page = b.get(&app, "/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<label for=\"current\">") && page.body.contains("href=\"/account\""), "labelled, in the navigation");
    let csrf = hidden(&page.body, "csrf");
    let r = b
        .post(
            &app,
            "/account/password",
            &[("csrf", &csrf), ("current", "wrong password!"), ("password", "a brand new password"), ("repeat", "a brand new password")],
        )
        .await;
    assert!(r.body.contains("The current password is wrong") && !r.body.contains("a brand new password"), "{}", r.status);
    let r = b
        .post(&app, "/account/password", &[("csrf", &csrf), ("current", PASSWORD), ("password", "a brand new password"), ("repeat", "another one entirely")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The two new passwords differ"));
    let r = b
        .post(&app, "/account/password", &[("csrf", "forged"), ("current", PASSWORD), ("password", "a brand new password"), ("repeat", "a brand new password")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .post(&app, "/account/password", &[("csrf", &csrf), ("current", PASSWORD), ("password", "a brand new password"), ("repeat", "a brand new password")])
        .await;
    assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/login?done=password_changed"));
    assert!(!b.has_session());
    assert!(b.get(&app, &r.location).await.body.contains("every session of your account has ended"), "the sign-in page says why");
    assert_eq!(other.get(&app, "/account").await.status, StatusCode::SEE_OTHER, "the other session ended too");
    // The new password signs in; signing out everywhere ends both sessions.
    let mut one = Browser::default();
    let login = one.get(&app, "/login").await;
    let r = one
        .post(&app, "/login", &[("csrf", &hidden(&login.body, "csrf")), ("user", "demo.donor"), ("password", "a brand new password"), ("next", "/home")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut two = one.clone();
    two.cookies.retain(|(k, _)| k != "tallinn_session");
    let login = two.get(&app, "/login").await;
    two.post(&app, "/login", &[("csrf", &hidden(&login.body, "csrf")), ("user", "demo.donor"), ("password", "a brand new password")]).await;
    assert!(one.has_session() && two.has_session());
    let csrf = hidden(&one.get(&app, "/account").await.body, "csrf");
    let r = one.post(&app, "/account/sign-out-everywhere", &[("csrf", &csrf)]).await;
    assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/login?done=signed_out_everywhere"));
    assert_eq!(two.get(&app, "/account").await.status, StatusCode::SEE_OTHER, "every session ended");
}

/// The office disables, enables and removes accounts from the participants
/// page; a disabled account's session ends at once.
#[tokio::test]
async fn the_office_manages_accounts_on_a_page() {
    let (app, _ledger, _dir) = app().await;
    let mut donor = Browser::default();
    donor.sign_in(&app, "demo.donor").await;
    let mut office = Browser::default();
    office.sign_in(&app, "demo.coordinator").await;
    let page = office.get(&app, "/participants").await;
    assert!(page.body.contains("action=\"/users/demo.donor/disable\""), "actions per account");
    let csrf = hidden(&page.body, "csrf");
    let r = office.post(&app, "/users/demo.donor/disable", &[("csrf", &csrf)]).await;
    assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/participants?done=account_disabled"));
    assert_eq!(donor.get(&app, "/account").await.status, StatusCode::SEE_OTHER, "the donor's session ended");
    assert!(office.get(&app, &r.location).await.body.contains("The account is disabled"));
    let r = office.post(&app, "/users/demo.donor/enable", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Only coordinators; and never without the form's token.
    let mut auditor = Browser::default();
    auditor.sign_in(&app, "demo.auditor").await;
    let auditor_page = auditor.get(&app, "/participants").await;
    assert!(!auditor_page.body.contains("/users/demo.donor/disable"), "auditors see accounts, do not manage them");
    let r = auditor.post(&app, "/users/demo.donor/disable", &[("csrf", &hidden(&auditor_page.body, "csrf"))]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(office.post(&app, "/users/demo.donor/remove", &[("csrf", "forged")]).await.status, StatusCode::FORBIDDEN);
}

/// The office sets another user's password on the participants page: the
/// user's sessions end at once and the new password signs in; the form
/// names each mistake beside its field; only coordinators may.
#[tokio::test]
async fn the_office_sets_a_users_password_on_a_page() {
    let (app, _ledger, _dir) = app().await;
    let mut donor = Browser::default();
    donor.sign_in(&app, "demo.donor").await;
    let mut office = Browser::default();
    office.sign_in(&app, "demo.coordinator").await;
    let page = office.get(&app, "/participants").await;
    assert!(page.body.contains("action=\"/users/password\"") && page.body.contains("<option value=\"demo.donor\""), "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    let set = |user: &'static str, password: &'static str, repeat: &'static str| {
        [("csrf", csrf.clone()), ("user", user.to_string()), ("password", password.to_string()), ("repeat", repeat.to_string())]
    };
    let post = |b: &mut Browser, form: [(&'static str, String); 4]| {
        let (mut b, app) = (b.clone(), app.clone());
        async move {
            let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post(&app, "/users/password", &fields).await
        }
    };
    let r = post(&mut office, set("demo.donor", "short", "short")).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("id=\"password-error\""), "{}", r.body);
    let r = post(&mut office, set("demo.donor", "a password set by the office", "another")).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("id=\"repeat-error\""), "{}", r.body);
    let r = post(&mut office, set("", "a password set by the office", "a password set by the office")).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("id=\"user-error\""), "{}", r.body);
    let r = post(&mut office, set("nobody.here", "a password set by the office", "a password set by the office")).await;
    assert!(r.status == StatusCode::NOT_FOUND && r.body.contains("id=\"user-error\""), "an unknown user is named beside the field: {}", r.body);
    let r = post(&mut office, set("demo.donor", "a password set by the office", "a password set by the office")).await;
    assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/participants?done=password_set"));
    assert!(office.get(&app, &r.location).await.body.contains("The password is set"));
    assert_eq!(donor.get(&app, "/account").await.status, StatusCode::SEE_OTHER, "the user's session ended");
    let mut again = Browser::default();
    let login = again.get(&app, "/login").await;
    let r = again
        .post(
            &app,
            "/login",
            &[("csrf", &hidden(&login.body, "csrf")), ("user", "demo.donor"), ("password", "a password set by the office"), ("next", "/home")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the new password signs in");
    // Auditors see the accounts but not the form, and are refused.
    let mut auditor = Browser::default();
    auditor.sign_in(&app, "demo.auditor").await;
    let auditor_page = auditor.get(&app, "/participants").await;
    assert!(!auditor_page.body.contains("action=\"/users/password\""));
    let fields = [("csrf", hidden(&auditor_page.body, "csrf")), ("user", "demo.donor".into()), ("password", "x".repeat(20)), ("repeat", "x".repeat(20))];
    let r = post(&mut auditor, fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// A need page shows its sector's threat factor and the sightings behind
/// it: the demo's GREEN sightings in energy of the last 30 days (212) give
/// energy needs 1.58.
#[tokio::test]
async fn a_need_page_shows_its_sectors_threat() {
    let (app, ledger, _dir) = app().await;
    let needs = ledger.needs(&Principal::System, &Default::default()).await.unwrap();
    let energy = needs.iter().find(|n| n.sector == tallinn_core::need::Sector::Energy).unwrap();
    let education = needs.iter().find(|n| n.sector == tallinn_core::need::Sector::Education).unwrap();
    let mut office = Browser::default();
    office.sign_in(&app, "demo.coordinator").await;
    let page = office.get(&app, &format!("/needs/{}", energy.id)).await;
    assert!(page.body.contains("id=\"need-threat\">1.58 (212 sightings in this sector"), "{}", page.body);
    let page = office.get(&app, &format!("/needs/{}", education.id)).await;
    assert!(page.body.contains("id=\"need-threat\">1 (0 sightings"), "{}", page.body);
}

/// The indicator search on `/exchange` finds by value or name, and never an
/// indicator the reader may not see (the demo's RED one is shared with
/// demo.analyst alone).
#[tokio::test]
async fn exchange_search_finds_indicators_the_reader_may_see() {
    let (app, ledger, _dir) = app().await;
    let hash = {
        use argon2::PasswordHasher;
        let salt = argon2::password_hash::SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Some(argon2::Argon2::default().hash_password(PASSWORD.as_bytes(), &salt).unwrap().to_string())
    };
    ledger
        .add_user(
            Principal::System,
            tallinn_core::participant::NewUser {
                name: "fi.analyst".into(),
                org: "FI".into(),
                role: tallinn_core::participant::Role::Analyst,
                panel: None,
                password_hash: hash,
            },
        )
        .await
        .unwrap();
    let mut own = Browser::default();
    own.sign_in(&app, "demo.analyst").await;
    let mut other = Browser::default();
    other.sign_in(&app, "fi.analyst").await;
    let page = own.get(&app, "/exchange?q=203.0.113").await;
    assert!(page.body.contains("Wiper C2 server (demo)") && page.body.contains("Exfiltration channel (demo)"), "{}", page.body);
    let page = other.get(&app, "/exchange?q=203.0.113").await;
    assert!(page.body.contains("Wiper C2 server (demo)") && !page.body.contains("Exfiltration channel"), "{}", page.body);
    let page = other.get(&app, "/exchange?q=RELAY").await;
    assert!(page.body.contains("Relay domains (demo)"), "by name, any case: {}", page.body);
    assert!(!other.get(&app, "/exchange").await.body.contains("id=\"found\""), "no search, no results section");
    assert_eq!(other.get(&app, "/exchange?colour=red").await.status, StatusCode::BAD_REQUEST);
}

/// The links of a page's navigation bar.
fn nav_links(page: &str) -> Vec<String> {
    let start = page.find("<nav").expect("a navigation bar");
    let end = start + page[start..].find("</nav>").unwrap();
    page[start..end].split("href=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_string()).collect()
}

#[tokio::test]
async fn every_reader_is_led_to_the_pages_that_serve_them_and_only_those() {
    let (app, _ledger, _dir) = app().await;
    let all = [
        "/",
        "/home",
        "/needs",
        "/needs/new",
        "/reviews",
        "/pledges",
        "/pledges/new",
        "/allocation",
        "/projects",
        "/participants",
        "/audit",
        "/access",
        "/agreements",
        "/account",
        "/exchange",
    ];
    for (name, ..) in tallinn_demo::USERS {
        let mut b = Browser::default();
        assert_eq!(b.sign_in(&app, name).await.status, StatusCode::SEE_OTHER, "{name} signs in");
        let nav = nav_links(&b.get(&app, "/home").await.body);
        for uri in nav.iter() {
            assert_eq!(b.get(&app, uri).await.status, StatusCode::OK, "{name}: {uri} is in the navigation and opens");
        }
        // The forms and registers a reader is not led to refuse them.
        for uri in ["/needs/new", "/pledges/new", "/allocation", "/audit", "/access", "/exchange"] {
            if !nav.iter().any(|n| n == uri) {
                assert_eq!(b.get(&app, uri).await.status, StatusCode::FORBIDDEN, "{name}: {uri} is not in the navigation, and refuses them");
            }
        }
        assert!(nav.iter().all(|n| all.contains(&n.as_str())), "{name}: {nav:?}");
    }
}
