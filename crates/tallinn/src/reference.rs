//! `docs/reference/cli.md`, generated from the command line's own
//! definition (clap), so that the reference cannot drift from the binary.
//! A test compares the committed file with what this module renders;
//! `TALLINN_UPDATE_DOCS=1 cargo test -p tallinn cli_reference` rewrites it.

use std::fmt::Write;

use clap::CommandFactory;

/// The whole reference, in Markdown.
pub fn render() -> String {
    let mut root = crate::cli::Cli::command();
    root.build();
    let mut out = String::from(
        "# Command-line reference\n\n\
         Generated from the binary's own definition (`crates/tallinn/src/reference.rs`); do not\n\
         edit by hand: `TALLINN_UPDATE_DOCS=1 cargo test -p tallinn cli_reference` rewrites it.\n\
         The guides in `docs/guide/` explain what the commands are for.\n\n\
         Every command takes the global options of `tallinn`. Machine-readable output goes to\n\
         stdout, progress and messages to stderr. Exit statuses: `0` success; `1` the input was\n\
         refused (bad value, unknown record, rule violated) and nothing changed; `2` usage error;\n\
         `3` the store or the system failed.\n",
    );
    let mut commands = Vec::new();
    collect(&root, &mut commands);
    out.push_str("\n## Contents\n\n");
    for (path, _) in &commands {
        let _ = writeln!(out, "- [`{path}`](#{})", anchor(path));
    }
    for (path, command) in &commands {
        section(&mut out, path, command);
    }
    out
}

/// Every visible command, depth first, with its full name.
fn collect(command: &clap::Command, into: &mut Vec<(String, clap::Command)>) {
    let path = command.get_bin_name().unwrap_or(command.get_name()).to_string();
    into.push((path, command.clone()));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        collect(sub, into);
    }
}

/// GitHub's anchor for a heading.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c == ' ' {
                Some('-')
            } else if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

fn section(out: &mut String, path: &str, command: &clap::Command) {
    let _ = writeln!(out, "\n## {path}\n");
    if let Some(about) = command.get_long_about().or(command.get_about()) {
        let _ = writeln!(out, "{}\n", sentence(about.to_string().trim()));
    }
    let usage = command.clone().render_usage().to_string();
    let _ = writeln!(out, "```text\n{}\n```", usage.trim_start_matches("Usage: ").trim());
    let args: Vec<&clap::Arg> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version") && !a.is_global_set() || is_root_global(path, a))
        .collect();
    if args.is_empty() {
        return;
    }
    out.push_str("\n| argument | meaning |\n|---|---|\n");
    for arg in args {
        let _ = writeln!(out, "| {} | {} |", name(arg), meaning(arg));
    }
}

/// Global options are listed once, under `tallinn` itself.
fn is_root_global(path: &str, arg: &clap::Arg) -> bool {
    path == "tallinn" && arg.is_global_set() && !arg.is_hide_set()
}

fn name(arg: &clap::Arg) -> String {
    let value = arg.get_value_names().map(|v| v.iter().map(|n| format!("<{n}>")).collect::<Vec<_>>().join(" "));
    let takes_value = arg.get_action().takes_values();
    if arg.is_positional() {
        let v = value.unwrap_or_else(|| format!("<{}>", arg.get_id().as_str().to_uppercase()));
        return format!("`{v}`{}", if arg.is_required_set() { "" } else { " (optional)" });
    }
    let mut flag = match (arg.get_short(), arg.get_long()) {
        (Some(s), Some(l)) => format!("-{s}, --{l}"),
        (None, Some(l)) => format!("--{l}"),
        (Some(s), None) => format!("-{s}"),
        (None, None) => arg.get_id().to_string(),
    };
    if takes_value {
        let v = value.unwrap_or_else(|| format!("<{}>", arg.get_id().as_str().to_uppercase()));
        flag = format!("{flag} {v}");
    }
    format!("`{flag}`{}", if arg.is_required_set() { " (required)" } else { "" })
}

fn meaning(arg: &clap::Arg) -> String {
    let mut text = sentence(&arg.get_long_help().or(arg.get_help()).map(|h| h.to_string().replace('\n', " ")).unwrap_or_default());
    let choices: Vec<String> = arg.get_possible_values().iter().filter(|p| !p.is_hide_set()).map(|p| format!("`{}`", p.get_name())).collect();
    let takes_value = arg.get_action().takes_values();
    if takes_value && !choices.is_empty() {
        let _ = write!(text, " One of {}.", choices.join(", "));
    }
    let defaults: Vec<String> = arg.get_default_values().iter().map(|d| d.to_string_lossy().into_owned()).collect();
    if takes_value && !defaults.is_empty() {
        let _ = write!(text, " Default `{}`.", defaults.join(" "));
    }
    if let Some(env) = arg.get_env() {
        let _ = write!(text, " Env `{}`.", env.to_string_lossy());
    }
    if matches!(arg.get_action(), clap::ArgAction::Append) {
        text.push_str(" Repeatable.");
    }
    text.replace('|', "\\|").trim().to_string()
}

/// clap drops a help text's final period; the reference puts it back.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() || text.ends_with(['.', '!', '?', ')', ':']) { text.to_string() } else { format!("{text}.") }
}

#[cfg(test)]
mod tests {
    const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/reference/cli.md");

    #[test]
    fn cli_reference_is_current() {
        let rendered = super::render();
        if std::env::var_os("TALLINN_UPDATE_DOCS").is_some() {
            std::fs::write(PATH, &rendered).unwrap();
        }
        let committed = std::fs::read_to_string(PATH).unwrap_or_default();
        assert!(committed == rendered, "docs/reference/cli.md is out of date: run TALLINN_UPDATE_DOCS=1 cargo test -p tallinn cli_reference");
    }

    /// Every command and every option of every command is in the reference.
    #[test]
    fn every_command_and_option_is_in_the_reference() {
        use clap::CommandFactory;
        let reference = super::render();
        let mut root = crate::cli::Cli::command();
        root.build();
        let mut all = Vec::new();
        super::collect(&root, &mut all);
        assert!(all.len() > 40, "{} commands", all.len());
        let mut missing = Vec::new();
        for (path, command) in &all {
            assert!(reference.contains(&format!("\n## {path}\n")), "{path} has no section");
            for arg in command.get_arguments().filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version")) {
                if let Some(long) = arg.get_long() {
                    assert!(reference.contains(&format!("--{long}")), "{path} --{long}");
                }
            }
            if command.get_about().is_none() {
                missing.push(path.clone());
            }
        }
        assert!(missing.is_empty(), "commands without a description: {missing:?}");
    }

    /// Every relative link in the README and docs/ leads to a file that exists.
    #[test]
    fn documentation_links_resolve() {
        let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let mut pages = vec![root.join("README.md"), root.join("ARCHITECTURE.md"), root.join("testdata/README.md")];
        let mut dirs = vec![root.join("docs")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "md") {
                    pages.push(path);
                }
            }
        }
        let mut broken = Vec::new();
        for page in &pages {
            let text = std::fs::read_to_string(page).unwrap();
            for link in text.split("](").skip(1).filter_map(|rest| rest.split(')').next()) {
                let target = link.split('#').next().unwrap_or_default();
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                if !page.parent().unwrap().join(target).exists() {
                    broken.push(format!("{}: {link}", page.strip_prefix(root).unwrap_or(page).display()));
                }
            }
        }
        assert!(pages.len() > 20, "{} pages", pages.len());
        assert!(broken.is_empty(), "broken links: {broken:#?}");
    }
}
