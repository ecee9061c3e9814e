//! The mount options the `ignore-mount-*` and `mount-r*-not-recursive` mutations act on: one
//! table each, looked up by the option parser.

use super::{active, Flaw};

/// The mount option each `ignore-mount-*` mutation ignores.
const IGNORED_MOUNT_OPTIONS: &[(&str, Flaw)] = &[
    ("ro", Flaw::IgnoreMountRo),
    ("rw", Flaw::IgnoreMountRw),
    ("nosuid", Flaw::IgnoreMountNosuid),
    ("suid", Flaw::IgnoreMountSuid),
    ("nodev", Flaw::IgnoreMountNodev),
    ("dev", Flaw::IgnoreMountDev),
    ("noexec", Flaw::IgnoreMountNoexec),
    ("exec", Flaw::IgnoreMountExec),
    ("sync", Flaw::IgnoreMountSync),
    ("async", Flaw::IgnoreMountAsync),
    ("dirsync", Flaw::IgnoreMountDirsync),
    ("atime", Flaw::IgnoreMountAtime),
    ("noatime", Flaw::IgnoreMountNoatime),
    ("diratime", Flaw::IgnoreMountDiratime),
    ("nodiratime", Flaw::IgnoreMountNodiratime),
    ("relatime", Flaw::IgnoreMountRelatime),
    ("strictatime", Flaw::IgnoreMountStrictatime),
    ("nostrictatime", Flaw::IgnoreMountNostrictatime),
    ("nosymfollow", Flaw::IgnoreMountNosymfollow),
    ("symfollow", Flaw::IgnoreMountSymfollow),
    ("private", Flaw::IgnoreMountPrivate),
    ("rprivate", Flaw::IgnoreMountRprivate),
    ("shared", Flaw::IgnoreMountShared),
    ("rshared", Flaw::IgnoreMountRshared),
    ("unbindable", Flaw::IgnoreMountUnbindable),
    ("runbindable", Flaw::IgnoreMountRunbindable),
    ("lazytime", Flaw::IgnoreMountLazytime),
    ("nolazytime", Flaw::IgnoreMountNolazytime),
    ("norelatime", Flaw::IgnoreMountNorelatime),
    ("remount", Flaw::IgnoreMountRemount),
    ("slave", Flaw::IgnoreMountSlave),
    ("silent", Flaw::IgnoreMountSilent),
    ("loud", Flaw::IgnoreMountLoud),
    ("iversion", Flaw::IgnoreMountIversion),
    ("noiversion", Flaw::IgnoreMountNoiversion),
];

/// The recursive attribute option each `mount-r*-not-recursive` mutation applies to the mount
/// alone.
const FLATTENED_RECURSIVE_OPTIONS: &[(&str, Flaw)] = &[
    ("rro", Flaw::MountRroNotRecursive),
    ("rrw", Flaw::MountRrwNotRecursive),
    ("rnosuid", Flaw::MountRnosuidNotRecursive),
    ("rsuid", Flaw::MountRsuidNotRecursive),
    ("rdev", Flaw::MountRdevNotRecursive),
    ("rnoexec", Flaw::MountRnoexecNotRecursive),
    ("rexec", Flaw::MountRexecNotRecursive),
    ("ratime", Flaw::MountRatimeNotRecursive),
    ("rnoatime", Flaw::MountRnoatimeNotRecursive),
    ("rdiratime", Flaw::MountRdiratimeNotRecursive),
    ("rnodiratime", Flaw::MountRnodiratimeNotRecursive),
    ("rrelatime", Flaw::MountRrelatimeNotRecursive),
    ("rnorelatime", Flaw::MountRnorelatimeNotRecursive),
    ("rstrictatime", Flaw::MountRstrictatimeNotRecursive),
    ("rnostrictatime", Flaw::MountRnostrictatimeNotRecursive),
    ("rnosymfollow", Flaw::MountRnosymfollowNotRecursive),
    ("rsymfollow", Flaw::MountRsymfollowNotRecursive),
];

/// Whether the active mutation ignores the mount option `opt`.
pub fn ignores_mount_option(opt: &str) -> bool {
    IGNORED_MOUNT_OPTIONS
        .iter()
        .any(|(o, flaw)| *o == opt && active(*flaw))
}

/// Whether the active mutation applies the recursive attribute option `opt` (`rro`...) to the
/// mount alone.
pub fn flattens_recursive_option(opt: &str) -> bool {
    FLATTENED_RECURSIVE_OPTIONS
        .iter()
        .any(|(o, flaw)| *o == opt && active(*flaw))
}

#[cfg(test)]
mod tests {
    use super::super::{current, of};
    use super::*;

    #[test]
    fn every_ignored_mount_option_has_its_mutation() {
        for (opt, flaw) in IGNORED_MOUNT_OPTIONS {
            assert_eq!(of(*flaw).name, format!("ignore-mount-{opt}"));
        }
        for (opt, flaw) in FLATTENED_RECURSIVE_OPTIONS {
            assert_eq!(of(*flaw).name, format!("mount-{opt}-not-recursive"));
        }
        // Nothing is active in the tests.
        assert!(current().is_none() && !ignores_mount_option("ro"));
        assert!(!flattens_recursive_option("rro"));
    }
}
