//! Corpora of files named on the command line.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;

/// A folder of files (or the loose files of a command line), in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corpus {
    /// The folder's last path component, or `files` for loose files.
    pub name: String,
    /// The folder; `None` for loose files.
    pub path: Option<PathBuf>,
    /// The files, sorted by path for a folder, in command-line order for loose files.
    pub files: Vec<PathBuf>,
}

/// Folders become corpora of the regular files directly in them (not recursive, sorted,
/// symbolic links to files included); files named directly are gathered, in order, into
/// one more corpus, `files`, after the folders. A folder without files is an error.
pub fn collect_corpora(paths: &[PathBuf]) -> Result<Vec<Corpus>> {
    let mut corpora = Vec::new();
    let mut loose = Vec::new();
    for path in paths {
        let meta =
            fs::metadata(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        if !meta.is_dir() {
            loose.push(path.clone());
            continue;
        }
        let mut files = Vec::new();
        let entries =
            fs::read_dir(path).map_err(|e| format!("cannot list {}: {e}", path.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", path.display()))?;
            // `metadata` follows symbolic links, so a link to a file counts as a file.
            if fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
                files.push(entry.path());
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(format!("{} has no files", path.display()).into());
        }
        corpora.push(Corpus {
            name: file_name(path),
            path: Some(path.clone()),
            files,
        });
    }
    if !loose.is_empty() {
        corpora.push(Corpus {
            name: "files".into(),
            path: None,
            files: loose,
        });
    }
    Ok(corpora)
}

/// The last component of `path`, for display.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TempDir;

    #[test]
    fn folders_are_sorted_flat_corpora_and_loose_files_come_last() {
        let tmp = TempDir::new("benches-corpus-test").unwrap();
        let dir = tmp.path().join("books");
        fs::create_dir_all(dir.join("nested")).unwrap();
        for name in ["b.txt", "a.txt", "nested/c.txt"] {
            fs::write(dir.join(name), name).unwrap();
        }
        let loose = tmp.path().join("loose.bin");
        fs::write(&loose, b"x").unwrap();

        let corpora = collect_corpora(&[loose.clone(), dir.clone()]).unwrap();
        assert_eq!(
            corpora,
            [
                Corpus {
                    name: "books".into(),
                    path: Some(dir.clone()),
                    files: vec![dir.join("a.txt"), dir.join("b.txt")],
                },
                Corpus {
                    name: "files".into(),
                    path: None,
                    files: vec![loose],
                },
            ]
        );
    }

    #[test]
    fn empty_folders_and_missing_paths_are_errors() {
        let tmp = TempDir::new("benches-corpus-test").unwrap();
        let e = collect_corpora(&[tmp.path().to_path_buf()]).unwrap_err();
        assert!(e.to_string().ends_with("has no files"), "{e}");
        assert!(collect_corpora(&[tmp.path().join("missing")]).is_err());
    }
}
