//! Semantic checks: every static requirement the JSON Schema cannot express.
//!
//! Each [`Check`] names, in [`CHECKS`], the catalog ids it implements. That table is the only
//! place the validator claims requirements (besides the schemas' `x-requirement` annotations);
//! `ocicheck matrix` reads it to derive each requirement's status.

mod config;
mod host;
mod isolation;
mod linux;

pub use host::kernel_cap_last_cap;

use std::path::Path;

use ocicheck_catalog::{ids, Id, SpecVersion};
use serde_json::Value;

use crate::position::escape_token;
use crate::Severity;

/// What a check sees.
pub struct Ctx<'a> {
    pub config: &'a Value,
    /// The release whose rules apply.
    pub version: SpecVersion,
    /// The bundle directory (None for a config read from stdin).
    pub bundle_dir: Option<&'a Path>,
    /// Host-dependent checks are enabled.
    pub host: bool,
    /// The number of the last capability the running kernel knows
    /// (`/proc/sys/kernel/cap_last_cap`), when `host` is set and it can be read.
    pub cap_last_cap: Option<u8>,
}

/// The platform a config targets, from its platform-specific objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Linux,
    Windows,
    Solaris,
    Zos,
    FreeBsd,
    Vm,
}

impl Ctx<'_> {
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        self.config.pointer(pointer)
    }

    pub fn platform(&self) -> Platform {
        let has = |k: &str| self.config.get(k).is_some_and(Value::is_object);
        if has("windows") {
            Platform::Windows
        } else if has("solaris") {
            Platform::Solaris
        } else if has("zos") {
            Platform::Zos
        } else if has("freebsd") {
            Platform::FreeBsd
        } else if has("vm") && !has("linux") {
            Platform::Vm
        } else {
            Platform::Linux
        }
    }

    pub fn is_posix(&self) -> bool {
        !matches!(self.platform(), Platform::Windows | Platform::Vm)
    }

    /// The array at `pointer` with each element's pointer.
    pub fn items<'s>(&'s self, pointer: &str) -> Vec<(String, &'s Value)> {
        match self.at(pointer) {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{pointer}/{i}"), v))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The object at `pointer` as (key, pointer, value).
    pub fn entries<'s>(&'s self, pointer: &str) -> Vec<(&'s str, String, &'s Value)> {
        match self.at(pointer) {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (k.as_str(), format!("{pointer}/{}", escape_token(k)), v))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// One finding of a check.
#[derive(Debug, Clone)]
pub struct Finding {
    pub requirement: Id,
    pub pointer: String,
    pub message: String,
    /// Overrides the severity derived from the requirement's level.
    pub severity: Option<Severity>,
}

impl Finding {
    pub fn new(requirement: Id, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            requirement,
            pointer: pointer.into(),
            message: message.into(),
            severity: None,
        }
    }

    pub fn warning(mut self) -> Self {
        self.severity = Some(Severity::Warning);
        self
    }
}

/// A semantic check and the requirements it implements.
pub struct Check {
    /// Stable name, shown in WIP.md as `check:<name>`.
    pub name: &'static str,
    /// Every catalog id the check can report (the `check_claims` test proves each one is
    /// reported under some input, and that the check reports no other).
    pub requirements: &'static [Id],
    /// Needs the host (`--host`): looks at paths outside the bundle or at the kernel.
    pub host_only: bool,
    pub run: fn(&Ctx, &mut Vec<Finding>),
}

/// Every semantic check.
pub static CHECKS: &[Check] = &[
    Check {
        name: "oci-version",
        requirements: &[ids::CONFIG_OCI_VERSION_SEMVER],
        host_only: false,
        run: config::oci_version,
    },
    Check {
        name: "root",
        requirements: &[
            ids::CONFIG_ROOT_REQUIRED,
            ids::CONFIG_ROOT_WINDOWS_SERVER_REQUIRED,
            ids::CONFIG_ROOT_HYPERV_ABSENT,
            ids::CONFIG_ROOT_PATH_WINDOWS_VOLUME_GUID,
            ids::CONFIG_ROOT_PATH_ROOTFS,
            ids::CONFIG_ROOT_PATH_EXISTS,
            ids::CONFIG_ROOT_READONLY_WINDOWS,
            ids::BUNDLE_ARTIFACTS_SINGLE_DIRECTORY,
        ],
        host_only: false,
        run: config::root,
    },
    Check {
        name: "mounts",
        requirements: &[
            ids::CONFIG_MOUNTS_DESTINATION_LINUX_MUST_BE_ABSOLUTE,
            ids::CONFIG_MOUNTS_DESTINATION_LINUX_ABSOLUTE,
            ids::CONFIG_MOUNTS_DESTINATION_WINDOWS_ABSOLUTE,
            ids::CONFIG_MOUNTS_DESTINATION_WINDOWS_NOT_NESTED,
            ids::CONFIG_MOUNTS_DESTINATION_SOLARIS_ABSOLUTE,
            ids::CONFIG_MOUNTS_DESTINATION_OTHER_ABSOLUTE,
            ids::CONFIG_MOUNTS_UID_MAPPINGS_WITH_GID_MAPPINGS,
            ids::CONFIG_MOUNTS_GID_MAPPINGS_WITH_UID_MAPPINGS,
            ids::CONFIG_MOUNTS_UID_MAPPINGS_IDMAP_OPTION,
            ids::CONFIG_MOUNTS_GID_MAPPINGS_IDMAP_OPTION,
        ],
        host_only: false,
        run: config::mounts,
    },
    Check {
        name: "process",
        requirements: &[
            ids::CONFIG_PROCESS_CWD_ABSOLUTE,
            ids::CONFIG_PROCESS_ARGS_NON_WINDOWS_MIN_ONE,
            ids::CONFIG_PROCESS_ARGS_WINDOWS_COMMAND_LINE_IF_ABSENT,
            ids::CONFIG_PROCESS_RLIMITS_TYPE_DUPLICATE_ERROR,
            ids::CONFIG_PROCESS_USER_UID_REQUIRED,
            ids::CONFIG_PROCESS_USER_GID_REQUIRED,
        ],
        host_only: false,
        run: config::process,
    },
    Check {
        name: "unchanged-ids",
        requirements: &[
            ids::CONFIG_PROCESS_USER_UID_REQUIRED,
            ids::CONFIG_PROCESS_USER_GID_REQUIRED,
            ids::CONFIG_PROCESS_USER_OPTIONAL_FIELDS,
            ids::LINUX_DEVICES_OPTIONAL_FIELDS,
        ],
        host_only: false,
        run: isolation::unchanged_ids,
    },
    Check {
        name: "host-settings",
        requirements: &[
            ids::CONFIG_HOSTNAME_OPTIONAL_FIELDS,
            ids::CONFIG_DOMAINNAME_OPTIONAL_FIELDS,
            ids::LINUX_SYSCTL_OPTIONAL_FIELDS,
        ],
        host_only: false,
        run: isolation::host_settings,
    },
    Check {
        name: "capabilities",
        requirements: &[
            ids::CONFIG_PROCESS_CAPABILITIES_UNMAPPABLE_ERROR,
            ids::CONFIG_PROCESS_CAPABILITIES_UNGRANTABLE_WARN,
        ],
        host_only: false,
        run: config::capabilities,
    },
    Check {
        name: "hooks",
        requirements: &[
            ids::CONFIG_HOOKS_PRESTART_PATH_ABSOLUTE,
            ids::CONFIG_HOOKS_CREATE_RUNTIME_PATH_ABSOLUTE,
            ids::CONFIG_HOOKS_CREATE_CONTAINER_ENTRY_SCHEMA,
            ids::CONFIG_HOOKS_START_CONTAINER_ENTRY_SCHEMA,
            ids::CONFIG_HOOKS_POSTSTART_ENTRY_SCHEMA,
            ids::CONFIG_HOOKS_POSTSTOP_ENTRY_SCHEMA,
        ],
        host_only: false,
        run: config::hooks,
    },
    Check {
        name: "annotations",
        requirements: &[
            ids::CONFIG_ANNOTATIONS_KEYS_REVERSE_DOMAIN,
            ids::CONFIG_ANNOTATIONS_ORG_OPENCONTAINERS_AS_DEFINED,
            ids::CONFIG_ANNOTATIONS_IMAGE_CREATED_VALID,
            ids::CONFIG_ANNOTATIONS_IMAGE_OS_VALID,
            ids::CONFIG_ANNOTATIONS_IMAGE_ARCHITECTURE_VALID,
            ids::CONFIG_ANNOTATIONS_IMAGE_STOP_SIGNAL_VALID,
        ],
        host_only: false,
        run: config::annotations,
    },
    Check {
        name: "namespaces",
        requirements: &[
            ids::LINUX_NAMESPACES_TYPE_UNIQUE,
            ids::LINUX_NAMESPACES_PATH_ABSOLUTE,
        ],
        host_only: false,
        run: linux::namespaces,
    },
    Check {
        name: "devices",
        requirements: &[
            ids::LINUX_DEVICES_TYPE_MAJOR_MINOR_UNIQUE,
            ids::LINUX_DEVICES_MAJOR_MINOR_REQUIRED,
        ],
        host_only: false,
        run: linux::devices,
    },
    Check {
        name: "masked-readonly-paths",
        requirements: &[
            ids::LINUX_MASKED_PATHS_ABSOLUTE,
            ids::LINUX_READONLY_PATHS_ABSOLUTE,
        ],
        host_only: false,
        run: linux::masked_readonly,
    },
    Check {
        name: "cgroups-path",
        requirements: &[ids::LINUX_CGROUPS_PATH_FORM],
        host_only: false,
        run: linux::cgroups_path,
    },
    Check {
        name: "resources",
        requirements: &[
            ids::LINUX_RESOURCES_CPU_BURST_NOT_ABOVE_QUOTA,
            ids::LINUX_RESOURCES_BLOCK_IO_WEIGHT_DEVICE_WEIGHT_PRESENT,
            ids::LINUX_RESOURCES_RDMA_ENTRY_LIMIT_PRESENT,
            ids::LINUX_RESOURCES_MEMORY_KERNEL_NOT_RECOMMENDED,
            ids::LINUX_RESOURCES_MEMORY_KERNEL_TCP_NOT_RECOMMENDED,
        ],
        host_only: false,
        run: linux::resources,
    },
    Check {
        name: "seccomp",
        requirements: &[
            ids::LINUX_SECCOMP_SYSCALLS_NAMES_NON_EMPTY,
            ids::LINUX_SECCOMP_LISTENER_METADATA_REQUIRES_LISTENER_PATH,
            ids::LINUX_SECCOMP_DEFAULT_ERRNO_RET_UNSUPPORTED_ACTION_ERROR,
            ids::LINUX_SECCOMP_SYSCALLS_ERRNO_RET_UNSUPPORTED_ACTION_ERROR,
        ],
        host_only: false,
        run: linux::seccomp,
    },
    Check {
        name: "host-hooks",
        requirements: &[
            ids::CONFIG_HOOKS_PRESTART_PATH_RUNTIME_NAMESPACE,
            ids::CONFIG_HOOKS_CREATE_RUNTIME_PATH_RUNTIME_NAMESPACE,
            ids::CONFIG_HOOKS_CREATE_CONTAINER_PATH_RUNTIME_NAMESPACE,
            ids::CONFIG_HOOKS_POSTSTART_PATH_RUNTIME_NAMESPACE,
            ids::CONFIG_HOOKS_POSTSTOP_PATH_RUNTIME_NAMESPACE,
        ],
        host_only: true,
        run: host::hooks,
    },
    Check {
        name: "host-namespaces",
        requirements: &[ids::LINUX_NAMESPACES_PATH_TYPE_MISMATCH_ERROR],
        host_only: true,
        run: host::namespaces,
    },
    Check {
        name: "host-capabilities",
        requirements: &[ids::CONFIG_PROCESS_CAPABILITIES_UNGRANTABLE_WARN],
        host_only: true,
        run: host::capabilities,
    },
];

/// Whether `p` is an absolute POSIX path.
pub fn is_abs_posix(p: &str) -> bool {
    p.starts_with('/')
}

/// Whether `p` is an absolute Windows path (`C:\...`, `\\?\...`, `\\server\share`).
pub fn is_abs_windows(p: &str) -> bool {
    let b = p.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || p.starts_with("\\\\")
}
