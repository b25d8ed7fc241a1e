//! The web interface in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, driven over WebDriver by fantoccini), against
//! `tallinn serve --demo` exactly as the README starts it: each role signs in
//! through the login page and walks the main flow — a beneficiary files a
//! need, both panels approve it, a donor pledges and commits, the
//! coordinator runs and applies an allocation — and the public dashboard's
//! figures change. Every page visited is saved as a PNG under
//! `target/browser-screenshots/`.
//!
//! Skipped (with a message) when chromedriver is not installed, except in
//! CI (`tallinn_core::testing`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use super::Store;
use super::server::Server;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url: format!("http://127.0.0.1:{port}") }
    }
}

/// "EUR 1,234.50" as cents.
fn cents(text: &str) -> i64 {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().unwrap_or_else(|_| panic!("not an amount: {text}"))
}

struct Walk {
    c: Client,
    base: String,
    shots: std::path::PathBuf,
    count: usize,
    /// axe-core's script, when given: every page photographed is audited.
    axe: Option<String>,
    /// What axe found, by page.
    violations: Vec<String>,
    /// What the content security policy would block, by page.
    blocked: Vec<String>,
}

/// What the pages' content security policy (`default-src 'none';
/// style-src 'self'; img-src 'self'`: no script, no inline style) would
/// block on the page shown: script elements, event-handler attributes,
/// `javascript:` URLs, style attributes (in inline SVG too), inline or
/// foreign style sheets, images from elsewhere or `data:`. The browser
/// blocks them silently; the walk must find none.
const CSP_CHECK: &str = r#"
const found = [];
const here = location.origin;
const foreign = url => { try { return new URL(url, location.href).origin !== here; } catch (e) { return true; } };
for (const e of document.querySelectorAll("script")) found.push(`script element ${e.src || "inline"}`);
for (const e of document.querySelectorAll("[style]")) found.push(`style attribute on <${e.tagName.toLowerCase()}>`);
for (const sheet of document.styleSheets) if (!sheet.href || foreign(sheet.href)) found.push(`style sheet ${sheet.href || "inline"}`);
for (const e of document.querySelectorAll("*")) for (const a of e.attributes) {
  if (a.name.startsWith("on")) found.push(`${a.name} attribute on <${e.tagName.toLowerCase()}>`);
  if (/^\s*javascript:/i.test(a.value)) found.push(`javascript: URL in ${a.name}`);
}
for (const i of document.images) if (foreign(i.currentSrc || i.src)) found.push(`image ${i.src}`);
return found;
"#;

/// Runs axe-core (already injected) over the page against WCAG 2.1 A and
/// AA, and answers one line per rule broken, with up to three elements.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
  .then(r => done(r.violations.map(v => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)))
  .catch(e => done([`axe failed: ${e}`]));
"#;

impl Walk {
    async fn shot(&mut self, name: &str) {
        self.count += 1;
        let png = self.c.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.count)), png).unwrap();
        self.audit(name).await;
    }

    /// The audits of the page shown: what the CSP would block, and
    /// accessibility.
    async fn audit(&mut self, name: &str) {
        let blocked = self.c.execute(CSP_CHECK, vec![]).await.unwrap();
        for b in blocked.as_array().into_iter().flatten() {
            self.blocked.push(format!("{name}: {}", b.as_str().unwrap_or_default()));
        }
        let Some(axe) = &self.axe else { return };
        self.c.execute(axe, vec![]).await.unwrap();
        let found = self.c.execute_async(AXE_RUN, vec![]).await.unwrap();
        for v in found.as_array().into_iter().flatten() {
            self.violations.push(format!("{name}: {}", v.as_str().unwrap_or_default()));
        }
    }

    async fn open(&mut self, path: &str, name: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
        self.c.wait().for_element(Locator::Css("main h1")).await.unwrap();
        self.shot(name).await;
    }

    async fn text(&self, id: &str) -> String {
        self.c.wait().for_element(Locator::Id(id)).await.unwrap().text().await.unwrap()
    }

    async fn fill(&self, id: &str, value: &str) {
        let field = self.c.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    async fn choose(&self, id: &str, value: &str) {
        self.c.find(Locator::Id(id)).await.unwrap().select_by_value(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.c.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
    }

    /// Waits until the page `old` (its `html` element) has been replaced:
    /// the next page may hold the same elements (a flash message), so
    /// waiting for them alone could read the page that was clicked on.
    async fn left(&self, old: fantoccini::elements::Element) {
        let replaced = async {
            while old.tag_name().await.is_ok() {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), replaced).await.expect("the page was not replaced after the click");
    }

    /// Clicks a submit button and waits for the page it leads to.
    async fn submit(&self, css: &str, then: Locator<'_>) {
        let old = self.c.find(Locator::Css("html")).await.unwrap();
        self.click(css).await;
        self.left(old).await;
        if let Err(e) = self.c.wait().at_most(Duration::from_secs(20)).for_element(then).await {
            let page = self.c.source().await.unwrap_or_default();
            let main = page.split("<main").nth(1).unwrap_or(&page);
            panic!("after clicking {css}, the expected page did not come ({e}); the page shows:\n{}", &main[..main.len().min(3000)]);
        }
    }

    async fn sign_in(&mut self, user: &str, password: &str) {
        self.c.goto(&format!("{}/login", self.base)).await.unwrap();
        self.fill("user", user).await;
        self.fill("password", password).await;
        self.submit("form[action='/login'] button[type=submit]", Locator::Css("a[href='/home'][aria-current='page']")).await;
        let who = self.c.find(Locator::Css(".who .user")).await.unwrap().text().await.unwrap();
        assert!(who.starts_with(user), "signed in as {who}");
        self.shot(&format!("home-{}", user.replace('.', "-"))).await;
    }

    async fn sign_out(&self) {
        self.submit("form[action='/logout'] button", Locator::Css("a[href='/login']")).await;
    }

    async fn status(&self) -> String {
        self.text("need-status").await
    }
}

#[test]
fn every_role_walks_the_main_flow_in_chromium() {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        return tallinn_core::testing::unavailable("Chromium", "apt-get install chromium chromium-driver");
    }
    let store = Store::sqlite();
    let (server, log) = Server::start_with(&store, &["--demo"]);
    // "  demo.donor   PASSWORD  (donor at EE)"
    let password = |user: &str| {
        log.iter()
            .find_map(|l| {
                let mut words = l.split_whitespace();
                (words.next() == Some(user)).then(|| words.next().unwrap().to_string())
            })
            .unwrap_or_else(|| panic!("serve --demo printed no password for {user}: {log:?}"))
    };
    // axe-core (`.ci/run` fetches it from the npm registry) audits every page.
    let axe = std::env::var_os("TALLINN_AXE_JS").map(|path| std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("TALLINN_AXE_JS {path:?}: {e}")));
    if axe.is_none() {
        tallinn_core::testing::unavailable(
            "axe-core (the accessibility audit)",
            "fetch axe-core 4.10.3 from the npm registry (as .ci/run does) and set TALLINN_AXE_JS to its axe.min.js",
        );
    }
    let audited = axe.is_some();
    let driver = Driver::start();
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": CHROMIUM, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400"] }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector).capabilities(caps).connect(&driver.url).await.expect("chromedriver session");
        let mut w = Walk { c, base: server.url.clone(), shots: shots.clone(), count: 0, axe, violations: Vec::new(), blocked: Vec::new() };

        // The audit itself is checked: an image without a text alternative
        // added to a page is found.
        if audited {
            w.c.goto(&format!("{}/login", w.base)).await.unwrap();
            w.c.execute("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')", vec![]).await.unwrap();
            w.audit("planted").await;
            assert!(w.violations.iter().any(|v| v.starts_with("planted: image-alt")), "axe reports a planted problem: {:?}", w.violations);
            w.violations.clear();
        }

        // So is the CSP check: an inline style and a script are found.
        w.c.goto(&format!("{}/login", w.base)).await.unwrap();
        w.c.execute("document.querySelector('main').insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p><script>1</script>')", vec![])
            .await
            .unwrap();
        w.audit("planted").await;
        assert!(
            w.blocked.iter().any(|b| b.contains("style attribute on <p>")) && w.blocked.iter().any(|b| b.contains("script element inline")),
            "the CSP check finds planted content: {:?}",
            w.blocked
        );
        w.blocked.clear();
        w.violations.clear();

        // The public dashboard, before.
        w.open("/", "dashboard-before").await;
        let approved_before = cents(&w.text("fig-approved").await);
        let funded_before = cents(&w.text("fig-funded").await);

        // A beneficiary files a need (a refused form first: errors beside
        // the fields, what was typed kept), then submits it.
        w.sign_in("demo.beneficiary", &password("demo.beneficiary")).await;
        w.open("/needs/new", "need-form").await;
        let title = "Browser test: forensic lab for the water utility";
        w.fill("title", title).await;
        w.fill("description", "Disk imaging and malware triage for incident response.").await;
        w.choose("capability", "impose_cost").await;
        w.choose("sector", "water").await;
        w.choose("urgency", "critical").await;
        w.fill("cost_eur", "250 000").await;
        w.choose("tlp", "clear").await;
        w.submit("#file-need", Locator::Id("cost_eur-error")).await;
        w.shot("need-form-refused").await;
        assert_eq!(w.c.find(Locator::Id("title")).await.unwrap().prop("value").await.unwrap().as_deref(), Some(title));
        w.fill("cost_eur", "250000.00").await;
        w.submit("#file-need", Locator::Id("submit-need")).await;
        w.shot("need-draft").await;
        let url = w.c.current_url().await.unwrap();
        let id = url.path().rsplit('/').next().unwrap().to_string();
        assert!(id.starts_with("N-"), "{url}");
        w.submit("#submit-need", Locator::Css(".flash")).await;
        assert_eq!(w.status().await, "Submitted");
        w.open("/needs?q=forensic+lab+for+the+water", "catalogue-search").await;
        assert!(w.text("needs-count").await.starts_with("Found: 1 "));
        w.sign_out().await;

        // The office triages it to the technical panel.
        w.sign_in("demo.coordinator", &password("demo.coordinator")).await;
        w.open("/reviews", "review-queues-coordinator").await;
        w.open(&format!("/needs/{id}"), "need-to-triage").await;
        w.click("input[name=decision][value=accept]").await;
        w.submit("#triage-need", Locator::Css(".flash")).await;
        assert_eq!(w.status().await, "Technical review");
        w.sign_out().await;

        // The technical panel, then the strategic panel, approve it.
        w.sign_in("demo.reviewer.technical", &password("demo.reviewer.technical")).await;
        w.open("/reviews", "review-queue-technical").await;
        w.open(&format!("/needs/{id}"), "need-technical-review").await;
        w.click("input[name=decision][value=approve]").await;
        w.fill("feasibility", "4").await;
        w.fill("relevance", "5").await;
        w.fill("review-comment", "Sound plan; the utility has the staff to run it.").await;
        w.submit("#send-review", Locator::Css(".flash")).await;
        assert_eq!(w.status().await, "Strategic review");
        w.sign_out().await;
        w.sign_in("demo.reviewer.strategic", &password("demo.reviewer.strategic")).await;
        w.open(&format!("/needs/{id}"), "need-strategic-review").await;
        w.click("input[name=decision][value=approve]").await;
        w.fill("importance", "5").await;
        w.submit("#send-review", Locator::Css(".flash")).await;
        assert_eq!(w.status().await, "Approved");
        w.shot("need-approved").await;
        w.sign_out().await;

        // A donor pledges, earmarked to what this need is, and commits.
        w.sign_in("demo.donor", &password("demo.donor")).await;
        w.open("/pledges/new", "pledge-form").await;
        w.fill("title", "Browser test: incident response for water utilities").await;
        w.fill("amount", "250000.00").await;
        w.fill("capabilities", "impose_cost").await;
        w.fill("sectors", "water").await;
        w.fill("beneficiaries", "UA-DEMO-CERT").await;
        w.choose("tlp", "clear").await;
        w.submit("#record-pledge", Locator::Id("pledge-commit")).await;
        w.shot("pledge-announced").await;
        w.submit("#pledge-commit", Locator::Css(".flash")).await;
        assert_eq!(w.text("pledge-status").await, "Committed");
        w.shot("pledge-committed").await;
        // In-kind help: items valued per unit, the amount their total.
        w.open("/pledges/new", "pledge-form-in-kind").await;
        w.fill("title", "Browser test: satellite terminals").await;
        w.click("input[name=kind][value=in_kind]").await;
        w.fill("item_description_1", "Satellite terminal").await;
        w.fill("item_quantity_1", "20").await;
        w.fill("item_unit_value_1", "1500.00").await;
        w.fill("item_description_2", "Year of service").await;
        w.fill("item_quantity_2", "20").await;
        w.fill("item_unit_value_2", "600").await;
        w.submit("#record-pledge", Locator::Id("pledge-items")).await;
        assert_eq!(w.text("pledge-kind").await.split(" (").next(), Some("In kind"));
        assert_eq!(w.text("pledge-amount").await, "EUR 42000.00");
        w.shot("pledge-in-kind").await;
        w.open("/pledges", "pledges").await;
        w.sign_out().await;

        // The office runs the engine, reads the proposal, applies it.
        w.sign_in("demo.coordinator", &password("demo.coordinator")).await;
        w.open("/allocation", "allocation").await;
        w.submit("#run-allocation", Locator::Id("proposal-status")).await;
        w.shot("proposal").await;
        let proposal = w.c.source().await.unwrap();
        assert!(proposal.contains(&format!("href=\"/needs/{id}\"")), "the proposal funds the new need");
        w.submit("#apply-proposal", Locator::Css(".flash")).await;
        assert_eq!(w.text("proposal-status").await, "Applied");
        w.open(&format!("/needs/{id}"), "need-funded").await;
        assert!(cents(&w.text("need-funded").await) > 0, "the need is funded");

        // The office starts a project to deliver it and plans a milestone.
        w.choose("implementer", "IMP-DEMO-A").await;
        w.fill("delivery_description_1", "Forensic workstation").await;
        w.fill("delivery_quantity_1", "2").await;
        w.submit("#start-project", Locator::Css(".flash")).await;
        let project = w.c.current_url().await.unwrap().fragment().unwrap_or_default().trim_start_matches("project-").to_string();
        assert!(project.starts_with("PR-"), "the new project is named in the address: {project}");
        w.fill(&format!("milestone_title-{project}"), "Workstations installed at the utility").await;
        w.submit(&format!("#plan-{project}"), Locator::Css(".flash")).await;
        w.shot("project-planned").await;
        for (path, name) in [("/participants", "participants"), ("/audit", "audit-log"), ("/agreements", "agreements"), ("/projects", "projects")] {
            w.open(path, name).await;
        }
        w.sign_out().await;

        // The implementer reports the milestone and the delivery; the
        // beneficiary accepts it with a sealed statement.
        w.sign_in("demo.implementer", &password("demo.implementer")).await;
        w.open("/projects", "projects-implementer").await;
        let section = w.c.find(Locator::Css(&format!("section[aria-labelledby='project-{project}']"))).await.unwrap();
        let page = w.c.find(Locator::Css("html")).await.unwrap();
        section.find(Locator::Css("button[id^='complete-']")).await.unwrap().click().await.unwrap();
        w.left(page).await;
        w.c.wait().for_element(Locator::Css(".flash")).await.unwrap();
        w.submit(&format!("#deliver-{project}"), Locator::Css(".flash")).await;
        assert_eq!(w.text(&format!("status-{project}")).await, "Delivered");
        w.shot("project-delivered").await;
        w.sign_out().await;
        w.sign_in("demo.beneficiary", &password("demo.beneficiary")).await;
        w.open("/projects", "projects-beneficiary").await;
        w.fill(&format!("statement-{project}"), "Two workstations received and in use by the incident team.").await;
        w.submit(&format!("#accept-{project}"), Locator::Css(".flash")).await;
        assert_eq!(w.text(&format!("status-{project}")).await, "Accepted");
        w.shot("project-accepted").await;
        w.sign_out().await;

        // The auditor's logs and the analyst's exchange overview.
        w.sign_in("demo.auditor", &password("demo.auditor")).await;
        w.open("/access", "access-log").await;
        w.sign_out().await;
        w.sign_in("demo.analyst", &password("demo.analyst")).await;
        w.open("/exchange", "threat-exchange").await;
        w.sign_out().await;

        // The public dashboard, after: the approved need is in the
        // Catalogue's approved cost, and its funding in the funded figure.
        w.open("/", "dashboard-after").await;
        assert_eq!(cents(&w.text("fig-approved").await) - approved_before, 25_000_000, "the approved cost grew by the new need");
        assert!(cents(&w.text("fig-funded").await) > funded_before, "the funded figure grew");
        // The footer's language menu: the same page in Ukrainian, then French.
        let page = w.c.find(Locator::Css("html")).await.unwrap();
        w.click("footer a[hreflang=uk]").await;
        w.left(page).await;
        w.c.wait().for_element(Locator::Css("html[lang=uk] main h1")).await.unwrap();
        assert_eq!(w.c.find(Locator::Css("main h1")).await.unwrap().text().await.unwrap(), "Цивільна кібердопомога Україні");
        w.shot("dashboard-uk").await;
        let page = w.c.find(Locator::Css("html")).await.unwrap();
        w.click("footer a[hreflang=fr]").await;
        w.left(page).await;
        w.c.wait().for_element(Locator::Css("html[lang=fr] main h1")).await.unwrap();
        w.open("/login", "login-fr").await;
        w.c.close().await.unwrap();
        assert!(w.violations.is_empty(), "axe found {} WCAG 2.1 AA problems:\n{}", w.violations.len(), w.violations.join("\n"));
        assert!(w.blocked.is_empty(), "the content security policy would block {} things:\n{}", w.blocked.len(), w.blocked.join("\n"));
        eprintln!("content security policy: {} pages checked, nothing it blocks", w.count);
        if audited {
            eprintln!("axe-core: {} pages audited against WCAG 2.1 A and AA, no violations", w.count);
        }
    });
    let saved = std::fs::read_dir(&shots).unwrap().count();
    eprintln!("{saved} screenshots in {}", shots.display());
    assert!(saved >= 25);
}
