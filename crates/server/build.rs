//! Builds the web UI (`web/`, Vite) into `$OUT_DIR/web`, which `rust-embed` compiles into the
//! binary. Runs again only when the web sources change.
//!
//! Sources of the files, in order: `LLM_MANAGER_WEB_DIST` (a directory already built, e.g. by a
//! Docker stage), else `npm ci` (when needed) + `npm run build`, else — only if npm is missing —
//! a prebuilt `web/dist`. With none of these the build fails with a message saying what to do.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    if let Err(message) = run() {
        eprintln!("\nerror: {message}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let web = manifest.join("../../web");
    let out = PathBuf::from(env("OUT_DIR")?).join("web");
    println!("cargo::rerun-if-env-changed=LLM_MANAGER_WEB_DIST");
    for path in [
        "src",
        "public",
        "plugins",
        "index.html",
        "docs.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "tsconfig.app.json",
        "tsconfig.node.json",
    ] {
        println!("cargo::rerun-if-changed={}", web.join(path).display());
    }

    if let Ok(dist) = std::env::var("LLM_MANAGER_WEB_DIST") {
        return copy_dir(Path::new(&dist), &out);
    }
    if !web.join("package.json").exists() {
        return Err(format!("web UI sources not found at {}", web.display()));
    }
    if Command::new("npm").arg("--version").output().is_err() {
        let prebuilt = web.join("dist");
        if prebuilt.join("index.html").exists() {
            println!("cargo::warning=npm not found; embedding the prebuilt web/dist");
            return copy_dir(&prebuilt, &out);
        }
        return Err(
            "npm was not found, and there is no built web UI to embed. Install Node.js 20+ with npm \
             (e.g. `apt-get install nodejs npm`), or build web/ elsewhere and set \
             LLM_MANAGER_WEB_DIST to the built directory."
                .to_owned(),
        );
    }

    // Two cargo builds (e.g. debug and release) may run this at once: one at a time.
    let lock =
        fs::File::create(web.join(".build.lock")).map_err(|e| format!("web/.build.lock: {e}"))?;
    lock.lock().map_err(|e| format!("web/.build.lock: {e}"))?;

    if needs_install(&web) {
        npm(&web, &["ci", "--no-audit", "--no-fund", "--loglevel=error"])?;
    }
    let out_text = out.to_str().ok_or("OUT_DIR is not valid UTF-8")?;
    npm(
        &web,
        &["run", "build", "--", "--outDir", out_text, "--emptyOutDir"],
    )?;
    if !out.join("index.html").exists() {
        return Err(format!(
            "the web build did not produce {}",
            out.join("index.html").display()
        ));
    }
    Ok(())
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

/// `npm ci` is needed when `node_modules` is missing or older than the lock file.
fn needs_install(web: &Path) -> bool {
    let installed = web.join("node_modules/.package-lock.json");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(&installed),
        modified(&web.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    }
}

fn npm(dir: &Path, args: &[&str]) -> Result<(), String> {
    let status = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run npm {}: {e}", args.join(" ")))?;
    if !status.success() {
        return Err(format!(
            "`npm {}` in {} failed ({status}); see its output above",
            args.join(" "),
            dir.display()
        ));
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    if !from.join("index.html").exists() {
        return Err(format!(
            "{} has no index.html; is it a built web UI?",
            from.display()
        ));
    }
    if to.exists() {
        fs::remove_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    copy_tree(from, to).map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
