//! `tallinn stix ...`: STIX 2.1 tools that need no store.

use anyhow::bail;

use super::read_file;
use crate::cli::StixCmd;

pub fn run(cmd: &StixCmd) -> anyhow::Result<()> {
    match cmd {
        StixCmd::Validate { files } => {
            let mut problems = 0;
            for file in files {
                let name = file.display();
                let text = read_file(file)?;
                let doc: serde_json::Value = match serde_json::from_str(&text) {
                    Ok(doc) => doc,
                    Err(e) => {
                        println!("{name}: not JSON: {e}");
                        problems += 1;
                        continue;
                    }
                };
                let (count, found) = tallinn_stix::object::validate_document(&doc);
                if found.is_empty() {
                    println!("{name}: {count} object(s), valid");
                }
                for p in &found {
                    println!("{name}: {p}");
                }
                problems += found.len();
            }
            if problems > 0 {
                bail!("{problems} problem(s) found");
            }
            Ok(())
        }
    }
}
