//! Deliberate defects, for mutation testing by requirement: each [`Mutation`] breaks exactly one
//! catalog requirement of the reference runtime, so a case that names the requirement can be
//! shown to fail on a runtime that violates it (a case that passes on every mutation proves
//! nothing).
//!
//! **A testing device, not a feature.** The runtime behaves as documented unless the
//! environment variable `OCICHECK_MUTATION` names one of [`ALL`]:
//!
//! ```text
//! OCICHECK_MUTATION=skip-poststop-hooks ocicheck run --runtime /path/to/ocicheck-runtime --case hooks.order
//! ```
//!
//! The runtime reads the variable once, at start-up, and removes it from its own environment,
//! so neither the container process nor a hook ever sees it (both get exactly the environment
//! their config gives them anyway). Forked children of the runtime (the setup process and the
//! container's init) keep the mutation they inherited. An unknown name makes every command
//! fail, naming the variable and the valid names. `create` (and `run`) print one warning line
//! on stderr while a mutation is active.
//!
//! Call sites test a [`Flaw`] (`mutation::active(Flaw::SkipPoststopHooks)`), never a name.

use std::sync::OnceLock;

use ocicheck_catalog::{ids, Id};

mod mount_options;

pub use mount_options::{flattens_recursive_option, ignores_mount_option};

/// The environment variable that activates a mutation.
pub const VAR: &str = "OCICHECK_MUTATION";

/// One deliberate defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mutation {
    /// What call sites test.
    pub flaw: Flaw,
    /// Kebab-case, saying what is broken: the value of [`VAR`].
    pub name: &'static str,
    /// The one requirement it violates.
    pub violates: Id,
    /// What the runtime does wrong, in a sentence.
    pub defect: &'static str,
}

/// Declares [`Flaw`] and [`ALL`] from one line of data per mutation.
macro_rules! mutations {
    ($($flaw:ident = $name:literal, $violates:ident, $defect:literal;)*) => {
        /// Each deliberate defect, as call sites name it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Flaw { $($flaw,)* }

        /// Every mutation, one per [`Flaw`].
        pub const ALL: &[Mutation] = &[
            $(Mutation { flaw: Flaw::$flaw, name: $name, violates: ids::$violates, defect: $defect },)*
        ];
    };
}

#[rustfmt::skip]
mutations! {
    // Operations.
    StartNoop = "start-noop", RUNTIME_START_RUN_PROCESS, "start reports success without running the program";
    KillNoop = "kill-noop", RUNTIME_KILL_SIGNAL_DELIVERED, "kill reports success without sending the signal";
    KillWrongSignal = "kill-wrong-signal", RUNTIME_KILL_SIGNAL_DELIVERED, "kill sends SIGUSR2, whatever signal was asked for";
    KeepIdAfterDelete = "keep-id-after-delete", RUNTIME_DELETE_ID_REUSABLE, "delete leaves the container's directory behind, so its id cannot be used again";
    KeepCgroupAfterDelete = "keep-cgroup-after-delete", RUNTIME_DELETE_RESOURCES_REMOVED, "delete leaves the container's cgroup directories";
    CreateMakesNothing = "create-makes-nothing", RUNTIME_CREATE_NEW_CONTAINER, "create reports success without making a container";
    RunProgramAtCreate = "run-program-at-create", RUNTIME_LIFECYCLE_CREATE_PROGRAM_NOT_RUN, "the program runs as soon as the container is created (start then only records it)";
    RunArgsAtCreate = "run-args-at-create", RUNTIME_CREATE_ARGS_NOT_RUN, "process.args runs as soon as the container is created (the same defect as run-program-at-create, for the create section's own sentence)";
    RefuseStateOperation = "refuse-state-operation", RUNTIME_OPERATIONS_SUPPORTED, "the state operation is not supported";
    DuplicateIdReplacesContainer = "duplicate-id-replaces-container", RUNTIME_STATE_ID_UNIQUE_ON_HOST, "create with an id in use makes a second container of that id (the first one is hidden, not removed)";
    DuplicateIdLeavesContainer = "duplicate-id-leaves-container", RUNTIME_CREATE_BAD_ID_NO_CONTAINER, "create with an id in use fails, but leaves a new (stopped) container of that id in place of the old one";
    FailedCreateLeavesContainer = "failed-create-leaves-container", RUNTIME_CREATE_UNAPPLICABLE_PROPERTY_NO_CONTAINER, "a create refused for its config leaves a stopped container behind";
    StartNotCreatedStopsContainer = "start-not-created-stops-container", RUNTIME_START_NOT_CREATED_NO_EFFECT, "a refused start of a running container kills it";
    KillStoppedDeletesContainer = "kill-stopped-deletes-container", RUNTIME_KILL_WRONG_STATE_NO_EFFECT, "a refused kill of a stopped container deletes it";
    DeleteRunningStopsContainer = "delete-running-stops-container", RUNTIME_DELETE_NOT_STOPPED_NO_EFFECT, "a refused delete of a running container kills it";
    RereadConfigAtStart = "reread-config-at-start", RUNTIME_LIFECYCLE_CONFIG_CHANGES_IGNORED, "start reads config.json again and applies its hostname";
    // The state operation's output.
    StatePidPlusOne = "state-pid-plus-one", RUNTIME_STATE_PID_NAMESPACE_VIEW, "state reports the container's pid plus one";
    StatePidContainerView = "state-pid-container-view", RUNTIME_STATE_PID_HOST_VIEW, "state reports the container's pid as the container sees it (1), not as the host does";
    StateWithoutPid = "state-without-pid", RUNTIME_STATE_PID_REQUIRED_LINUX, "state has no pid, even while the container is created or running";
    StateWithoutBundle = "state-without-bundle", RUNTIME_STATE_BUNDLE_REQUIRED, "state has no bundle";
    StateWithoutId = "state-without-id", RUNTIME_STATE_ID_REQUIRED, "state has no id";
    StateWithoutStatus = "state-without-status", RUNTIME_STATE_STATUS_REQUIRED, "state has no status";
    StateRelativeBundle = "state-relative-bundle", RUNTIME_STATE_BUNDLE_ABSOLUTE_PATH, "state gives the bundle as a relative path";
    StateWithoutOciVersion = "state-without-oci-version", RUNTIME_STATE_OCI_VERSION_REQUIRED, "state has no ociVersion";
    StateStatusCapitalised = "state-status-capitalised", RUNTIME_STATE_STATUS_REQUIRED, "state spells the status capitalised (\"Running\"), which names no state of the container";
    StateBundleNotString = "state-bundle-not-string", RUNTIME_STATE_JSON_SCHEMA, "state gives the bundle as a list of path parts, which the state schema does not allow";
    StatePrintsStatusOnly = "state-prints-status-only", RUNTIME_QUERY_STATE_RETURNS_STATE, "state prints the status as a bare JSON string, not the state object";
    StateWithoutAnnotations = "state-without-annotations", RUNTIME_STATE_OPTIONAL_FIELDS, "state leaves out the config's annotations";
    // Errors that are not reported.
    AcceptDuplicateId = "accept-duplicate-id", RUNTIME_CREATE_BAD_ID_ERROR, "create with an id in use reports success (and makes nothing)";
    AcceptStateWithoutId = "accept-state-without-id", RUNTIME_QUERY_STATE_MISSING_ID_ERROR, "state without a container id exits 0";
    AcceptCreateWithoutId = "accept-create-without-id", RUNTIME_CREATE_MISSING_ARGS_ERROR, "create without a container id exits 0";
    AcceptStartWithoutId = "accept-start-without-id", RUNTIME_START_MISSING_ID_ERROR, "start without a container id exits 0";
    AcceptKillWithoutId = "accept-kill-without-id", RUNTIME_KILL_MISSING_ID_ERROR, "kill without a container id exits 0";
    AcceptDeleteWithoutId = "accept-delete-without-id", RUNTIME_DELETE_MISSING_ID_ERROR, "delete without a container id exits 0";
    AcceptUnknownId = "accept-unknown-id", RUNTIME_QUERY_STATE_UNKNOWN_CONTAINER_ERROR, "state of a container that does not exist prints {} and exits 0";
    AcceptStartTwice = "accept-start-twice", RUNTIME_START_NOT_CREATED_ERROR, "start of a container that is not created reports success";
    AcceptKillStopped = "accept-kill-stopped", RUNTIME_KILL_WRONG_STATE_ERROR, "kill of a stopped container reports success";
    AcceptDeleteRunning = "accept-delete-running", RUNTIME_DELETE_NOT_STOPPED_ERROR, "delete (without --force) of a container that is not stopped reports success and does nothing";
    AcceptNoProcess = "accept-no-process", RUNTIME_START_NO_PROCESS_ERROR, "a config without process is created, and started, without an error";
    StartWithoutProcess = "start-without-process", CONFIG_PROCESS_REQUIRED_AT_START, "start of a container without process succeeds (the same defect as accept-no-process, for config.md's own sentence)";
    AcceptDuplicateNamespace = "accept-duplicate-namespace", LINUX_NAMESPACES_TYPE_UNIQUE, "a namespace type listed twice is accepted";
    AcceptNamespaceTypeMismatch = "accept-namespace-type-mismatch", LINUX_NAMESPACES_PATH_TYPE_MISMATCH_ERROR, "a namespace path is joined whatever type of namespace it is";
    AcceptDuplicateRlimit = "accept-duplicate-rlimit", CONFIG_PROCESS_RLIMITS_TYPE_DUPLICATE_ERROR, "an rlimit type listed twice is accepted (the last one wins)";
    AcceptDefaultErrnoRet = "accept-default-errnoret", LINUX_SECCOMP_DEFAULT_ERRNO_RET_UNSUPPORTED_ACTION_ERROR, "defaultErrnoRet with a defaultAction that takes no errno is ignored";
    AcceptRuleErrnoRet = "accept-rule-errnoret", LINUX_SECCOMP_SYSCALLS_ERRNO_RET_UNSUPPORTED_ACTION_ERROR, "errnoRet on a rule whose action takes no errno is ignored";
    RefuseUnknownProperties = "refuse-unknown-properties", CONFIG_EXTENSIBILITY_UNKNOWN_PROPERTIES_IGNORE, "create refuses a config with an unknown top-level property";
    RefuseUnknownAnnotations = "refuse-unknown-annotations", CONFIG_ANNOTATIONS_UNKNOWN_KEYS, "create refuses annotation keys outside org.opencontainers";
    // Hooks.
    SkipPrestartHooks = "skip-prestart-hooks", RUNTIME_HOOKS_PRESTART_INVOKED, "prestart hooks are not run";
    SkipCreateRuntimeHooks = "skip-createruntime-hooks", RUNTIME_HOOKS_CREATE_RUNTIME_INVOKED, "createRuntime hooks are not run";
    SkipCreateContainerHooks = "skip-createcontainer-hooks", RUNTIME_HOOKS_CREATE_CONTAINER_INVOKED, "createContainer hooks are not run";
    SkipStartContainerHooks = "skip-startcontainer-hooks", RUNTIME_HOOKS_START_CONTAINER_INVOKED, "startContainer hooks are not run";
    SkipPoststartHooks = "skip-poststart-hooks", RUNTIME_HOOKS_POSTSTART_INVOKED, "poststart hooks are not run";
    SkipPoststopHooks = "skip-poststop-hooks", RUNTIME_HOOKS_POSTSTOP_INVOKED, "poststop hooks are not run";
    ReverseHookOrder = "reverse-hook-order", CONFIG_HOOKS_ORDER, "the hooks of one kind run last to first";
    PrestartHooksAtStart = "prestart-hooks-at-start", RUNTIME_HOOKS_PRESTART_DURING_CREATE, "prestart hooks run during start, not create";
    CreateRuntimeBeforePrestart = "createruntime-before-prestart", CONFIG_HOOKS_PRESTART_BEFORE_CREATE_RUNTIME, "createRuntime hooks run before the prestart hooks";
    PrestartHooksInContainerNamespace = "prestart-hooks-in-container-namespace", CONFIG_HOOKS_PRESTART_RUNTIME_NAMESPACE, "prestart hooks run in the container's mount namespace";
    CreateRuntimeHooksInContainerNamespace = "createruntime-hooks-in-container-namespace", CONFIG_HOOKS_CREATE_RUNTIME_RUNTIME_NAMESPACE, "createRuntime hooks run in the container's mount namespace";
    CreateContainerBeforeCreateRuntime = "createcontainer-before-createruntime", CONFIG_HOOKS_CREATE_CONTAINER_AFTER_CREATE_RUNTIME, "createRuntime hooks run after the createContainer hooks (once the container is created)";
    CreateContainerHooksInRuntimeNamespace = "createcontainer-hooks-in-runtime-namespace", CONFIG_HOOKS_CREATE_CONTAINER_CONTAINER_NAMESPACE, "createContainer hooks run in the runtime's namespaces";
    HookStdinIdOnly = "hook-stdin-id-only", CONFIG_HOOKS_STATE_ON_STDIN, "hooks get a state holding only the id on stdin";
    HookStdinEmpty = "hook-stdin-empty", CONFIG_HOOKS_STATE_ON_STDIN, "hooks get an empty JSON object on stdin, not the state";
    IgnorePrestartHookFailure = "ignore-prestart-hook-failure", RUNTIME_HOOKS_PRESTART_FAILURE_ERROR, "a failing prestart hook is treated as a success";
    IgnoreCreateRuntimeHookFailure = "ignore-createruntime-hook-failure", RUNTIME_HOOKS_CREATE_RUNTIME_FAILURE_ERROR, "a failing createRuntime hook is treated as a success";
    IgnoreCreateContainerHookFailure = "ignore-createcontainer-hook-failure", RUNTIME_HOOKS_CREATE_CONTAINER_FAILURE_ERROR, "a failing createContainer hook is treated as a success";
    IgnoreStartContainerHookFailure = "ignore-startcontainer-hook-failure", RUNTIME_HOOKS_START_CONTAINER_FAILURE_ERROR, "a failing startContainer hook is treated as a success";
    IgnorePoststartHookFailure = "ignore-poststart-hook-failure", RUNTIME_HOOKS_POSTSTART_FAILURE_ERROR, "a failing poststart hook is treated as a success, whatever the config's version";
    PoststartFailureAlwaysError = "poststart-failure-always-error", RUNTIME_HOOKS_POSTSTART_FAILURE_WARN, "a failing poststart hook is an error (and stops the container) for configs before 1.3.0 too";
    FailDeleteOnPoststopHookFailure = "fail-delete-on-poststop-hook-failure", RUNTIME_HOOKS_POSTSTOP_FAILURE_WARN, "a failing poststop hook makes delete fail (after it deleted the container)";
    KeepRunningAfterHookFailure = "keep-running-after-hook-failure", RUNTIME_HOOKS_CREATE_RUNTIME_FAILURE_ERROR, "a failing prestart, createRuntime, createContainer or startContainer hook is an error, but the container is neither stopped nor torn down";
    // The process.
    IgnoreProcessEnv = "ignore-process-env", RUNTIME_START_RUN_PROCESS, "the program gets only the PATH entries of process.env";
    InjectProcessEnv = "inject-process-env", RUNTIME_START_RUN_PROCESS, "the process gets one environment variable more than configured (container=oci)";
    TruncateProcessArgs = "truncate-process-args", RUNTIME_LIFECYCLE_START_RUN_PROCESS, "process.args beyond the first three are dropped";
    IgnoreProcessUser = "ignore-process-user", RUNTIME_START_RUN_PROCESS, "the program runs as uid 0, gid 0, without additional groups";
    IgnoreProcessCwd = "ignore-process-cwd", RUNTIME_START_RUN_PROCESS, "the program starts in / whatever process.cwd says";
    IgnoreProcessUmask = "ignore-process-umask", RUNTIME_START_RUN_PROCESS, "process.user.umask is not applied";
    IgnoreNoNewPrivileges = "ignore-no-new-privileges", RUNTIME_START_RUN_PROCESS, "process.noNewPrivileges is not applied";
    GrantCapSysAdmin = "grant-cap-sys-admin", RUNTIME_START_RUN_PROCESS, "CAP_SYS_ADMIN is added to the bounding, effective and permitted sets";
    IgnoreRlimitSoft = "ignore-rlimit-soft", CONFIG_PROCESS_RLIMITS_SOFT_APPLIED, "each rlimit's soft value is set to its hard value";
    IgnoreRlimitHard = "ignore-rlimit-hard", CONFIG_PROCESS_RLIMITS_HARD_APPLIED, "each rlimit keeps its inherited hard value (only the soft one is set)";
    IgnoreOomScoreAdj = "ignore-oom-score-adj", CONFIG_PROCESS_OOM_SCORE_ADJ_APPLIED, "process.oomScoreAdj is not applied";
    IgnoreConsoleSize = "ignore-console-size", RUNTIME_CREATE_APPLY_CONFIG, "process.consoleSize is not applied to the terminal";
    SkipDevConsole = "skip-dev-console", LINUX_DEVICES_DEFAULT_CONSOLE, "with a terminal, /dev/console is not bound to it";
    // The container's environment.
    IgnoreHostname = "ignore-hostname", RUNTIME_CREATE_APPLY_CONFIG, "hostname is not set";
    IgnoreDomainname = "ignore-domainname", RUNTIME_CREATE_APPLY_CONFIG, "domainname is not set";
    IgnorePersonality = "ignore-personality", RUNTIME_CREATE_APPLY_CONFIG, "linux.personality is not applied";
    IgnoreMaskedPaths = "ignore-masked-paths", RUNTIME_CREATE_APPLY_CONFIG, "linux.maskedPaths are left accessible";
    IgnoreReadonlyPaths = "ignore-readonly-paths", RUNTIME_CREATE_APPLY_CONFIG, "linux.readonlyPaths are left writable";
    IgnoreSysctl = "ignore-sysctl", RUNTIME_CREATE_APPLY_CONFIG, "linux.sysctl is not written";
    IgnoreSeccomp = "ignore-seccomp", RUNTIME_CREATE_APPLY_CONFIG, "no seccomp filter is loaded";
    IgnoreRootfsPropagation = "ignore-rootfs-propagation", RUNTIME_LIFECYCLE_CREATE_ENVIRONMENT_PER_CONFIG, "linux.rootfsPropagation is not applied";
    IgnoreRootReadonly = "ignore-root-readonly", CONFIG_ROOT_READONLY, "root.readonly is not applied";
    IgnoreDevices = "ignore-devices", LINUX_DEVICES_AVAILABLE, "the devices of linux.devices are not created";
    IgnoreDeviceModeOwner = "ignore-device-mode-owner", RUNTIME_CREATE_APPLY_CONFIG, "linux.devices are created with mode 0666 and owner 0:0, not the configured ones";
    SkipDevPtmx = "skip-dev-ptmx", LINUX_DEVICES_DEFAULT_SUPPLIED, "/dev/ptmx is not made";
    DevZeroIsNull = "dev-zero-is-null", LINUX_DEVICES_DEFAULT_SUPPLIED, "/dev/zero is made with the numbers of /dev/null (1:3)";
    SkipDevFdSymlink = "skip-dev-fd-symlink", RUNTIME_LINUX_DEV_SYMLINKS, "the /dev/fd symlink is not made";
    SkipSysfsMount = "skip-sysfs-mount", LINUX_DEFAULT_FILESYSTEMS_PRESENT, "mounts of type sysfs are skipped";
    ReverseMountOrder = "reverse-mount-order", CONFIG_MOUNTS_ORDER, "mounts are made last to first";
    ChownCgroupV1 = "chown-cgroup-v1", LINUX_CGROUPS_OWNERSHIP_V1_UNCHANGED, "on cgroup v1, the container's cgroup directories are given to the container's root user";
    IgnoreCpuResources = "ignore-cpu-resources", RUNTIME_LIFECYCLE_CREATE_RESOURCES_CREATED, "linux.resources.cpu is not applied";
    IgnoreMemoryResources = "ignore-memory-resources", RUNTIME_LIFECYCLE_CREATE_RESOURCES_CREATED, "linux.resources.memory is not applied";
    IgnorePidsResources = "ignore-pids-resources", RUNTIME_LIFECYCLE_CREATE_RESOURCES_CREATED, "linux.resources.pids is not applied";
    // Seccomp listener.
    ListenerStateTwice = "listener-state-twice", LINUX_SECCOMP_LISTENER_ONE_STATE_PER_CONNECTION, "the container process state is sent twice on the listener connection";
    ListenerStateWithoutFd = "listener-state-without-fd", LINUX_CONTAINER_PROCESS_STATE_FDS_SCM_RIGHTS, "the container process state is sent without the seccomp fd (no SCM_RIGHTS)";
    ListenerFdsNotListed = "listener-fds-not-listed", LINUX_SECCOMP_LISTENER_SECCOMP_FD_REQUIRED, "the seccomp fd is sent, but the state's fds does not list seccompFd";
    ListenerSeqpacketSocket = "listener-seqpacket-socket", LINUX_SECCOMP_LISTENER_SOCKET_TYPE, "the runtime connects to listenerPath with a SOCK_SEQPACKET socket, not SOCK_STREAM";
    ListenerFdInEverySendmsg = "listener-fd-in-every-sendmsg", LINUX_CONTAINER_PROCESS_STATE_SENDMSG_FDS_FIRST_ONLY, "the state is sent in two sendmsg calls, each carrying the seccomp fd";
    ListenerConnectionKeptOpen = "listener-connection-kept-open", LINUX_SECCOMP_LISTENER_CONNECTION_CLOSED, "the listener connection is not closed: the container process inherits it";
    // Namespaces.
    SkipPidNamespace = "skip-pid-namespace", LINUX_NAMESPACES_NO_PATH_NEW, "a listed pid namespace without path is not made";
    SkipNetworkNamespace = "skip-network-namespace", LINUX_NAMESPACES_NO_PATH_NEW, "a listed network namespace without path is not made";
    SkipIpcNamespace = "skip-ipc-namespace", LINUX_NAMESPACES_NO_PATH_NEW, "a listed ipc namespace without path is not made";
    SkipUtsNamespace = "skip-uts-namespace", LINUX_NAMESPACES_NO_PATH_NEW, "a listed uts namespace without path is not made";
    SkipUserNamespace = "skip-user-namespace", LINUX_NAMESPACES_NO_PATH_NEW, "a listed user namespace without path is not made";
    SkipCgroupNamespace = "skip-cgroup-namespace", LINUX_NAMESPACES_TYPE_SUPPORTED, "a listed cgroup namespace without path is not made";
    SkipTimeNamespace = "skip-time-namespace", LINUX_NAMESPACES_TYPE_TIME_SUPPORTED, "a listed time namespace without path is not made";
    IgnoreNamespacePath = "ignore-namespace-path", LINUX_NAMESPACES_PATH_JOINED, "a namespace with a path is made new instead of joined";
    UnshareUnlistedIpc = "unshare-unlisted-ipc", LINUX_NAMESPACES_UNLISTED_INHERITED, "an ipc namespace is made although linux.namespaces does not list one";
    // Mount options: each is ignored as if it were not in the list.
    IgnoreMountRo = "ignore-mount-ro", CONFIG_MOUNTS_OPTIONS_RO, "the ro mount option is ignored";
    IgnoreMountRw = "ignore-mount-rw", CONFIG_MOUNTS_OPTIONS_RW, "the rw mount option is ignored";
    IgnoreMountNosuid = "ignore-mount-nosuid", CONFIG_MOUNTS_OPTIONS_NOSUID, "the nosuid mount option is ignored";
    IgnoreMountSuid = "ignore-mount-suid", CONFIG_MOUNTS_OPTIONS_SUID, "the suid mount option is ignored";
    IgnoreMountNodev = "ignore-mount-nodev", CONFIG_MOUNTS_OPTIONS_NODEV, "the nodev mount option is ignored";
    IgnoreMountDev = "ignore-mount-dev", CONFIG_MOUNTS_OPTIONS_DEV, "the dev mount option is ignored";
    IgnoreMountNoexec = "ignore-mount-noexec", CONFIG_MOUNTS_OPTIONS_NOEXEC, "the noexec mount option is ignored";
    IgnoreMountExec = "ignore-mount-exec", CONFIG_MOUNTS_OPTIONS_EXEC, "the exec mount option is ignored";
    IgnoreMountSync = "ignore-mount-sync", CONFIG_MOUNTS_OPTIONS_SYNC, "the sync mount option is ignored";
    IgnoreMountAsync = "ignore-mount-async", CONFIG_MOUNTS_OPTIONS_ASYNC, "the async mount option is ignored";
    IgnoreMountDirsync = "ignore-mount-dirsync", CONFIG_MOUNTS_OPTIONS_DIRSYNC, "the dirsync mount option is ignored";
    IgnoreMountAtime = "ignore-mount-atime", CONFIG_MOUNTS_OPTIONS_ATIME, "the atime mount option is ignored";
    IgnoreMountNoatime = "ignore-mount-noatime", CONFIG_MOUNTS_OPTIONS_NOATIME, "the noatime mount option is ignored";
    IgnoreMountDiratime = "ignore-mount-diratime", CONFIG_MOUNTS_OPTIONS_DIRATIME, "the diratime mount option is ignored";
    IgnoreMountNodiratime = "ignore-mount-nodiratime", CONFIG_MOUNTS_OPTIONS_NODIRATIME, "the nodiratime mount option is ignored";
    IgnoreMountRelatime = "ignore-mount-relatime", CONFIG_MOUNTS_OPTIONS_RELATIME, "the relatime mount option is ignored";
    IgnoreMountStrictatime = "ignore-mount-strictatime", CONFIG_MOUNTS_OPTIONS_STRICTATIME, "the strictatime mount option is ignored";
    IgnoreMountNostrictatime = "ignore-mount-nostrictatime", CONFIG_MOUNTS_OPTIONS_NOSTRICTATIME, "the nostrictatime mount option is ignored";
    IgnoreMountNosymfollow = "ignore-mount-nosymfollow", CONFIG_MOUNTS_OPTIONS_NOSYMFOLLOW, "the nosymfollow mount option is ignored";
    IgnoreMountSymfollow = "ignore-mount-symfollow", CONFIG_MOUNTS_OPTIONS_SYMFOLLOW, "the symfollow mount option is ignored";
    IgnoreMountPrivate = "ignore-mount-private", CONFIG_MOUNTS_OPTIONS_PRIVATE, "the private mount option is ignored";
    IgnoreMountRprivate = "ignore-mount-rprivate", CONFIG_MOUNTS_OPTIONS_RPRIVATE, "the rprivate mount option is ignored";
    IgnoreMountShared = "ignore-mount-shared", CONFIG_MOUNTS_OPTIONS_SHARED, "the shared mount option is ignored";
    IgnoreMountRshared = "ignore-mount-rshared", CONFIG_MOUNTS_OPTIONS_RSHARED, "the rshared mount option is ignored";
    IgnoreMountUnbindable = "ignore-mount-unbindable", CONFIG_MOUNTS_OPTIONS_UNBINDABLE, "the unbindable mount option is ignored";
    IgnoreMountRunbindable = "ignore-mount-runbindable", CONFIG_MOUNTS_OPTIONS_RUNBINDABLE, "the runbindable mount option is ignored";
    MountRelatimeAsStrictatime = "mount-relatime-as-strictatime", CONFIG_MOUNTS_OPTIONS_RELATIME, "the relatime mount option sets strictatime";
    MountPrivateAsShared = "mount-private-as-shared", CONFIG_MOUNTS_OPTIONS_PRIVATE, "the private mount option makes the mount shared";
    MountRprivateAsRshared = "mount-rprivate-as-rshared", CONFIG_MOUNTS_OPTIONS_RPRIVATE, "the rprivate mount option makes the mount tree shared";
    IgnoreMountFlagOptions = "ignore-mount-flag-options", CONFIG_MOUNTS_OPTIONS_LINUX_TABLE, "no option of the mount flags table (flags, cleared flags, propagation) is applied";
    DefaultsOverridesOptions = "defaults-overrides-options", CONFIG_MOUNTS_OPTIONS_DEFAULTS, "defaults is applied after the other options, so it clears the ro, nosuid, nodev, noexec and sync they set";
    DefaultsAsFsData = "defaults-as-fs-data", CONFIG_MOUNTS_OPTIONS_DEFAULTS, "the defaults mount option is passed to the filesystem as data (which refuses it)";
    DropMountFsData = "drop-mount-fs-data", CONFIG_MOUNTS_OPTIONS_UNKNOWN_FS_DATA, "options that are not flags are not passed to the filesystem";
    // Intel RDT (issue 14).
    IgnoreIntelRdt = "ignore-intel-rdt", LINUX_INTEL_RDT_RESCTRL_MISSING_ERROR, "a config with linux.intelRdt is accepted (and the field ignored) on a host without resctrl";
    // Lifecycle, errors and process properties (issue 14).
    AcceptUnknownRlimit = "accept-unknown-rlimit", CONFIG_PROCESS_RLIMITS_TYPE_UNMAPPABLE_ERROR, "an rlimit type the kernel has no resource for (RLIMIT_FOO) is dropped, not an error";
    AcceptUnsupportedOciVersion = "accept-unsupported-oci-version", CONFIG_VALID_VALUES_INVALID_ERROR, "a config of an ociVersion this runtime does not support (a major version other than 1) is created as if it were 1.3.0";
    RlimitWrongResource = "rlimit-wrong-resource", CONFIG_PROCESS_RLIMITS_TYPE_GETRLIMIT_SUCCEEDS, "RLIMIT_NOFILE is set on the kernel's RLIMIT_NPROC resource, so getrlimit(RLIMIT_NOFILE) does not report it";
    CreatorCannotOperate = "creator-cannot-operate", RUNTIME_SCOPE_CREATOR_CAN_OPERATE, "a container answers only the process that created it: every later operation (another process) is refused";
    StateOciVersionRuntimeVersion = "state-oci-version-runtime-version", RUNTIME_STATE_OCI_VERSION_STATE_VERSION, "state gives the runtime's own version (0.1.0) as ociVersion, not a runtime-spec version";
    RefuseConsoleSizeWithoutTerminal = "refuse-console-size-without-terminal", CONFIG_PROCESS_CONSOLE_SIZE_IGNORED_WITHOUT_TERMINAL, "process.consoleSize without terminal = true makes create fail";
    ResetOomScoreAdj = "reset-oom-score-adj", CONFIG_PROCESS_OOM_SCORE_ADJ_UNSET_UNTOUCHED, "without process.oomScoreAdj, the container process's oom_score_adj is set to 0";
    IgnoreUnwritableSysctl = "ignore-unwritable-sysctl", RUNTIME_CREATE_UNAPPLICABLE_PROPERTY_ERROR, "a linux.sysctl key the kernel does not have is skipped, not an error";
    SkipFailedMount = "skip-failed-mount", RUNTIME_LIFECYCLE_CREATE_UNABLE_ERROR, "a mount that cannot be made is skipped, and create succeeds";
    FailedCreateLeavesCgroup = "failed-create-leaves-cgroup", RUNTIME_ERRORS_NO_SIDE_EFFECTS, "a create that fails after making the cgroup leaves its cgroup directories behind";
    ForceDeleteCreatedKeepsCgroup = "force-delete-created-keeps-cgroup", RUNTIME_LIFECYCLE_DESTROY_UNDO_CREATE, "delete --force of a container that never started removes its state but leaves its cgroup (and the init waiting in it)";
    RemoveForeignCgroup = "remove-foreign-cgroup", RUNTIME_DELETE_FOREIGN_RESOURCES_KEPT, "delete removes the container's cgroup directories even where they existed before create";
    SilentUnknownCapability = "silent-unknown-capability", CONFIG_PROCESS_CAPABILITIES_UNGRANTABLE_WARN, "an unknown capability is dropped without a warning";
    RefuseUnknownCapability = "refuse-unknown-capability", CONFIG_PROCESS_CAPABILITIES_UNGRANTABLE_NO_FAIL, "an unknown capability makes create fail, whatever the config's version";
    AcceptUnknownCapability = "accept-unknown-capability", CONFIG_PROCESS_CAPABILITIES_UNMAPPABLE_ERROR, "an unknown capability in a 1.0 config is dropped with a warning, not an error";
    WarningSkipsCapabilities = "warning-skips-capabilities", RUNTIME_WARNINGS_FLOW_UNCHANGED, "once a capability warning is logged, no capability set of the config is applied";
    // Hooks (issue 14).
    PrestartHookPathInContainer = "prestart-hook-path-in-container", CONFIG_HOOKS_PRESTART_PATH_RUNTIME_NAMESPACE, "prestart hook paths are resolved in the container's root filesystem, not the runtime namespace";
    CreateRuntimeHookPathInContainer = "createruntime-hook-path-in-container", CONFIG_HOOKS_CREATE_RUNTIME_PATH_RUNTIME_NAMESPACE, "createRuntime hook paths are resolved in the container's root filesystem, not the runtime namespace";
    CreateContainerHookPathInContainer = "createcontainer-hook-path-in-container", CONFIG_HOOKS_CREATE_CONTAINER_PATH_RUNTIME_NAMESPACE, "createContainer hook paths are resolved in the container's root filesystem, not the runtime namespace";
    PoststartHookPathInContainer = "poststart-hook-path-in-container", CONFIG_HOOKS_POSTSTART_PATH_RUNTIME_NAMESPACE, "poststart hook paths are resolved in the container's root filesystem, not the runtime namespace";
    PoststopHookPathInContainer = "poststop-hook-path-in-container", CONFIG_HOOKS_POSTSTOP_PATH_RUNTIME_NAMESPACE, "poststop hook paths are resolved in the container's root filesystem, not the runtime namespace";
    StartContainerHookPathInRuntime = "startcontainer-hook-path-in-runtime", CONFIG_HOOKS_START_CONTAINER_PATH_CONTAINER_NAMESPACE, "startContainer hook paths are resolved in the runtime namespace (opened before pivot_root), though the hooks run in the container";
    StartContainerHooksInRuntimeNamespace = "startcontainer-hooks-in-runtime-namespace", CONFIG_HOOKS_START_CONTAINER_CONTAINER_NAMESPACE, "start runs the startContainer hooks itself, in the runtime's mount namespace (chrooted to the container's root, so their paths still resolve there)";
    PoststartHooksInOwnMountNamespace = "poststart-hooks-in-own-mount-namespace", CONFIG_HOOKS_POSTSTART_RUNTIME_NAMESPACE, "poststart hooks run in a new mount namespace of their own, not the runtime's";
    PoststopHooksInOwnMountNamespace = "poststop-hooks-in-own-mount-namespace", CONFIG_HOOKS_POSTSTOP_RUNTIME_NAMESPACE, "poststop hooks run in a new mount namespace of their own, not the runtime's";
    PrestartHooksBeforeSetup = "prestart-hooks-before-setup", CONFIG_HOOKS_PRESTART_TIMING_CREATE, "prestart hooks run as soon as the container process exists, before its mounts are made";
    CreateRuntimeHooksBeforeSetup = "createruntime-hooks-before-setup", CONFIG_HOOKS_CREATE_RUNTIME_TIMING, "createRuntime hooks run as soon as the container process exists, before its mounts are made (when there is no prestart hook to run first)";
    CreateContainerHooksBeforeSetup = "createcontainer-hooks-before-setup", CONFIG_HOOKS_CREATE_CONTAINER_TIMING, "createContainer hooks run in the container before its mounts are made (when there is no prestart or createRuntime hook to run first)";
    StartContainerHooksAtCreate = "startcontainer-hooks-at-create", CONFIG_HOOKS_START_CONTAINER_TIMING, "startContainer hooks run during create (after pivot_root), not start";
    PoststartHooksAfterStartReturns = "poststart-hooks-after-start-returns", CONFIG_HOOKS_POSTSTART_TIMING, "poststart hooks run in the background once start has returned";
    PoststopHooksBeforeStop = "poststop-hooks-before-stop", CONFIG_HOOKS_POSTSTOP_TIMING, "delete runs the poststop hooks first, before it stops and removes the container";
    IgnoreImageStopSignal = "ignore-image-stop-signal", CONFIG_ANNOTATIONS_IMAGE_STOP_SIGNAL_KILL_SIGNAL, "kill without a signal sends SIGTERM, whatever the org.opencontainers.image.stopSignal annotation names";
    // Mount options (issue 14).
    IgnoreMountLazytime = "ignore-mount-lazytime", CONFIG_MOUNTS_OPTIONS_LAZYTIME, "the lazytime mount option is ignored";
    IgnoreMountNolazytime = "ignore-mount-nolazytime", CONFIG_MOUNTS_OPTIONS_NOLAZYTIME, "the nolazytime mount option is ignored";
    IgnoreMountNorelatime = "ignore-mount-norelatime", CONFIG_MOUNTS_OPTIONS_NORELATIME, "the norelatime mount option is ignored";
    IgnoreMountRemount = "ignore-mount-remount", CONFIG_MOUNTS_OPTIONS_REMOUNT, "the remount mount option is ignored";
    IgnoreMountSlave = "ignore-mount-slave", CONFIG_MOUNTS_OPTIONS_SLAVE, "the slave mount option is ignored";
    MountBindAsRbind = "mount-bind-as-rbind", CONFIG_MOUNTS_OPTIONS_BIND, "the bind mount option binds recursively, with the mounts below the source";
    MountRbindAsBind = "mount-rbind-as-bind", CONFIG_MOUNTS_OPTIONS_RBIND, "the rbind mount option binds the source mount alone, without the mounts below it";
    MountRslaveNotRecursive = "mount-rslave-not-recursive", CONFIG_MOUNTS_OPTIONS_RSLAVE, "the rslave mount option makes the mount a slave, not the mounts below it";
    MountOptionsFirstWins = "mount-options-first-wins", CONFIG_MOUNTS_OPTIONS_MUST_OPTIONS_MOUNT8, "mount options are read last to first, so of two contradicting options (ro, rw) the first wins, not the last as in mount(8)";
    CustomMountOptionsAsFsData = "custom-mount-options-as-fs-data", CONFIG_MOUNTS_OPTIONS_CUSTOM_MOUNT8, "mount(8)'s own options (noauto, x-*, comment=) are passed to the filesystem, which refuses them";
    MountRroNotRecursive = "mount-rro-not-recursive", CONFIG_MOUNTS_OPTIONS_RRO, "the rro mount option is applied to the mount alone, not to the mounts below it";
    MountRrwNotRecursive = "mount-rrw-not-recursive", CONFIG_MOUNTS_OPTIONS_RRW, "the rrw mount option is applied to the mount alone, not to the mounts below it";
    MountRnosuidNotRecursive = "mount-rnosuid-not-recursive", CONFIG_MOUNTS_OPTIONS_RNOSUID, "the rnosuid mount option is applied to the mount alone, not to the mounts below it";
    MountRsuidNotRecursive = "mount-rsuid-not-recursive", CONFIG_MOUNTS_OPTIONS_RSUID, "the rsuid mount option is applied to the mount alone, not to the mounts below it";
    MountRdevNotRecursive = "mount-rdev-not-recursive", CONFIG_MOUNTS_OPTIONS_RDEV, "the rdev mount option is applied to the mount alone, not to the mounts below it";
    MountRnoexecNotRecursive = "mount-rnoexec-not-recursive", CONFIG_MOUNTS_OPTIONS_RNOEXEC, "the rnoexec mount option is applied to the mount alone, not to the mounts below it";
    MountRexecNotRecursive = "mount-rexec-not-recursive", CONFIG_MOUNTS_OPTIONS_REXEC, "the rexec mount option is applied to the mount alone, not to the mounts below it";
    MountRatimeNotRecursive = "mount-ratime-not-recursive", CONFIG_MOUNTS_OPTIONS_RATIME, "the ratime mount option is applied to the mount alone, not to the mounts below it";
    MountRnoatimeNotRecursive = "mount-rnoatime-not-recursive", CONFIG_MOUNTS_OPTIONS_RNOATIME, "the rnoatime mount option is applied to the mount alone, not to the mounts below it";
    MountRdiratimeNotRecursive = "mount-rdiratime-not-recursive", CONFIG_MOUNTS_OPTIONS_RDIRATIME, "the rdiratime mount option is applied to the mount alone, not to the mounts below it";
    MountRnodiratimeNotRecursive = "mount-rnodiratime-not-recursive", CONFIG_MOUNTS_OPTIONS_RNODIRATIME, "the rnodiratime mount option is applied to the mount alone, not to the mounts below it";
    MountRrelatimeNotRecursive = "mount-rrelatime-not-recursive", CONFIG_MOUNTS_OPTIONS_RRELATIME, "the rrelatime mount option is applied to the mount alone, not to the mounts below it";
    MountRnorelatimeNotRecursive = "mount-rnorelatime-not-recursive", CONFIG_MOUNTS_OPTIONS_RNORELATIME, "the rnorelatime mount option is applied to the mount alone, not to the mounts below it";
    MountRstrictatimeNotRecursive = "mount-rstrictatime-not-recursive", CONFIG_MOUNTS_OPTIONS_RSTRICTATIME, "the rstrictatime mount option is applied to the mount alone, not to the mounts below it";
    MountRnostrictatimeNotRecursive = "mount-rnostrictatime-not-recursive", CONFIG_MOUNTS_OPTIONS_RNOSTRICTATIME, "the rnostrictatime mount option is applied to the mount alone, not to the mounts below it";
    MountRnosymfollowNotRecursive = "mount-rnosymfollow-not-recursive", CONFIG_MOUNTS_OPTIONS_RNOSYMFOLLOW, "the rnosymfollow mount option is applied to the mount alone, not to the mounts below it";
    MountRsymfollowNotRecursive = "mount-rsymfollow-not-recursive", CONFIG_MOUNTS_OPTIONS_RSYMFOLLOW, "the rsymfollow mount option is applied to the mount alone, not to the mounts below it";
    // Device rules (issue 14).
    IgnoreDevicesResources = "ignore-devices-resources", RUNTIME_LIFECYCLE_CREATE_RESOURCES_CREATED, "linux.resources.devices is not applied: only the default devices are allowed";
    ReverseDeviceRules = "reverse-device-rules", LINUX_RESOURCES_DEVICES_ORDER, "linux.resources.devices is applied last to first";
    IgnoreDeviceAccess = "ignore-device-access", RUNTIME_CREATE_APPLY_CONFIG, "each linux.resources.devices rule is applied with access rwm, whatever its access says";
    // Idmapped mounts and mount destinations (issue 14).
    RefuseIdmap = "refuse-idmap", CONFIG_MOUNTS_OPTIONS_IDMAP, "the idmap mount option is refused as unsupported";
    IgnoreIdmap = "ignore-idmap", CONFIG_MOUNTS_OPTIONS_IDMAP_APPLIED, "an idmap mount is made without an ID mapping";
    IdmapUidMappingsForGids = "idmap-uid-mappings-for-gids", CONFIG_MOUNTS_OPTIONS_IDMAP_MOUNT_MAPPINGS, "an idmap mount maps gids with the mount's uidMappings, not its gidMappings";
    AcceptIdmapWithoutMappings = "accept-idmap-without-mappings", CONFIG_MOUNTS_OPTIONS_IDMAP_NO_USERNS_ERROR, "an idmap mount without mappings in a container without a user namespace is made unmapped, without an error";
    RefuseRidmap = "refuse-ridmap", CONFIG_MOUNTS_OPTIONS_RIDMAP, "the ridmap mount option is refused as unsupported";
    RidmapNotRecursive = "ridmap-not-recursive", CONFIG_MOUNTS_OPTIONS_RIDMAP_APPLIED, "a ridmap mount maps only its top mount, not the mounts below it";
    RidmapUidMappingsForGids = "ridmap-uid-mappings-for-gids", CONFIG_MOUNTS_OPTIONS_RIDMAP_MOUNT_MAPPINGS, "a ridmap mount maps gids with the mount's uidMappings, not its gidMappings";
    AcceptRidmapWithoutMappings = "accept-ridmap-without-mappings", CONFIG_MOUNTS_OPTIONS_RIDMAP_NO_USERNS_ERROR, "a ridmap mount without mappings in a container without a user namespace is made unmapped, without an error";
    IgnoreIdmapUsernsFallback = "ignore-idmap-userns-fallback", CONFIG_MOUNTS_OPTIONS_IDMAP_USERNS_FALLBACK, "an idmap mount without mappings of its own, in a container with a user namespace, is made unmapped, without an error";
    IgnoreRidmapUsernsFallback = "ignore-ridmap-userns-fallback", CONFIG_MOUNTS_OPTIONS_RIDMAP_USERNS_FALLBACK, "a ridmap mount without mappings of its own, in a container with a user namespace, is made unmapped, without an error";
    RelativeDestinationFromCwd = "relative-destination-from-cwd", CONFIG_MOUNTS_DESTINATION_LINUX_RELATIVE_FROM_ROOT, "a relative mount destination is resolved against process.cwd, not /";
    MountDestinationOnHost = "mount-destination-on-host", RUNTIME_CREATE_APPLY_CONFIG, "a mount destination is joined to the rootfs path as is, so a symlink in it is followed on the host";
    ReplaceConflictingDeviceFile = "replace-conflicting-device-file", LINUX_DEVICES_PATH_CONFLICT_ERROR, "a file already at a device's path that is not that device is replaced, without an error";
    // Seccomp listener and network devices (issue 14).
    ListenerConnectionReused = "listener-connection-reused", LINUX_SECCOMP_LISTENER_CONNECTION_NO_REUSE, "the listener connection is reused: a second container process state (status running) follows the first on it";
    IgnoreListenerSendFailure = "ignore-listener-send-failure", LINUX_SECCOMP_LISTENER_SEND_FAILURE_ERROR, "a listenerPath that cannot be reached is skipped: the container runs and no state is sent";
    ListenerStateNotJson = "listener-state-not-json", LINUX_CONTAINER_PROCESS_STATE_PAYLOAD_JSON, "the container process state is framed with a 4-byte length prefix, so the payload is not plain JSON";
    ListenerStateWithoutOciVersion = "listener-state-without-oci-version", LINUX_CONTAINER_PROCESS_STATE_OCI_VERSION_REQUIRED, "the container process state has no ociVersion";
    ListenerStateWithoutPid = "listener-state-without-pid", LINUX_CONTAINER_PROCESS_STATE_PID_REQUIRED, "the container process state has no pid";
    ListenerStateWithoutState = "listener-state-without-state", LINUX_CONTAINER_PROCESS_STATE_STATE_REQUIRED, "the container process state has no state";
    IgnoreNetDevices = "ignore-net-devices", LINUX_NET_DEVICES_AVAILABLE, "linux.netDevices is ignored: no interface is moved into the container";
    SkipMissingNetDevices = "skip-missing-net-devices", LINUX_NET_DEVICES_MOVE_CHECKED, "an interface of linux.netDevices the host does not have is skipped, not refused";
    NetDeviceConflictRenamed = "net-device-conflict-renamed", LINUX_NET_DEVICES_NAME_CONFLICT_ERROR, "a name already used in the container's network namespace gets a number appended instead of being refused";
    RefuseNetDeviceNameTemplate = "refuse-net-device-name-template", LINUX_NET_DEVICES_NAME_TEMPLATE_ALLOWED, "a name ending in the %d template is refused as invalid";
    DropNetDeviceAddresses = "drop-net-device-addresses", LINUX_NET_DEVICES_ATTRIBUTES_PRESERVED, "the addresses a moved interface loses in the move are not added again";
    NetDeviceLeftDown = "net-device-left-down", LINUX_NET_DEVICES_STATE_UP, "a moved interface is left down";
    MoveNetDevicesBackOnDelete = "move-net-devices-back-on-delete", LINUX_NET_DEVICES_DELETE_NOT_MOVED_BACK, "delete of a container that still runs moves its interfaces back to the host before stopping it";
    // Cgroups other than device rules (issue 14).
    PidsZeroUnlimited = "pids-zero-unlimited", LINUX_RESOURCES_PIDS_LIMIT_ZERO, "a pids.limit of 0 is taken as unset: the cgroup gets no pids limit";
    SkipHugetlbRsvd = "skip-hugetlb-rsvd", LINUX_RESOURCES_HUGEPAGE_LIMITS_RSVD, "hugepageLimits go to usage accounting only, even where the kernel has reservation accounting";
    DropUnknownUnifiedKeys = "drop-unknown-unified-keys", LINUX_RESOURCES_UNIFIED_UNKNOWN_KEYS_WRITTEN, "unified keys of no controller the runtime knows (cgroup.*) are dropped instead of written";
    SkipUnifiedControllers = "skip-unified-controllers", LINUX_RESOURCES_UNIFIED_CONTROLLERS_ENABLED, "the controllers of unified keys are not enabled in the ancestors' cgroup.subtree_control";
    IgnoreAbsentUnifiedController = "ignore-absent-unified-controller", LINUX_RESOURCES_UNIFIED_MISSING_CONTROLLER_ERROR, "unified keys naming a controller the host lacks are skipped without an error";
    IgnoreUnconvertibleV1Resources = "ignore-unconvertible-v1-resources", LINUX_RESOURCES_UNIFIED_V1_CONVERSION_ERROR, "on a cgroup v2 host, resources with no v2 equivalent (network classID and priorities) are skipped without an error";
    TruncateLongCgroupsPath = "truncate-long-cgroups-path", LINUX_CGROUPS_PATH_INVALID_ERROR, "a cgroupsPath component longer than a file name can be is cut to 255 bytes instead of refused";
    ScatterRelativeCgroupsPath = "scatter-relative-cgroups-path", LINUX_CGROUPS_PATH_CONSISTENT, "a relative cgroupsPath is placed below a directory named after the runtime's pid, so the same value lands elsewhere each time";
    NestAbsoluteCgroupsPath = "nest-absolute-cgroups-path", LINUX_CGROUPS_PATH_ABSOLUTE, "an absolute cgroupsPath is placed below ocicheck-runtime/ in each hierarchy, not below the mount point";
    ThawFrozenCgroup = "thaw-frozen-cgroup", LINUX_CGROUPS_UNFIT_ERROR, "an existing frozen cgroup at cgroupsPath is thawed and used instead of refused";
    SkipCgroupChown = "skip-cgroup-chown", LINUX_CGROUPS_OWNERSHIP_RW_MOUNT_CHOWN, "on cgroup v2, the cgroup is not given to the container's user even with a user and cgroup namespace and a read-write cgroup mount";
    ChownCgroupDirOnly = "chown-cgroup-dir-only", LINUX_CGROUPS_OWNERSHIP_EXISTING_DELEGATE_FILES_CHOWN, "cgroup ownership: only the directory is given, not the delegated files in it";
    ChownCgroupParent = "chown-cgroup-parent", LINUX_CGROUPS_OWNERSHIP_DELEGATE_ONLY, "cgroup ownership: the parent of the container's cgroup is given away too";
    FailOnMissingDelegateFile = "fail-on-missing-delegate-file", LINUX_CGROUPS_OWNERSHIP_MISSING_DELEGATE_FILE_NO_FAILURE, "cgroup ownership: a file /sys/kernel/cgroup/delegate lists that the cgroup lacks is an error";
    ChownAllCgroupFiles = "chown-all-cgroup-files", LINUX_CGROUPS_OWNERSHIP_OTHER_FILES_UNCHANGED, "cgroup ownership: every file of the cgroup is given away, not only the delegated ones";
    ChownWithReadOnlyCgroupMount = "chown-with-read-only-cgroup-mount", LINUX_CGROUPS_OWNERSHIP_NO_RW_MOUNT_UNCHANGED, "cgroup ownership: the cgroup is given away even when the cgroup mount at /sys/fs/cgroup is read-only";
    // Cgroup ownership fallback (issue 14).
    SkipOwnershipFallbackFiles = "skip-ownership-fallback-files", LINUX_CGROUPS_OWNERSHIP_FALLBACK_FILES, "cgroup ownership: without /sys/kernel/cgroup/delegate only the directory is given, not cgroup.procs, cgroup.subtree_control and cgroup.threads";
    // Mount flags seen by a syscall trace (issue 14).
    IgnoreMountSilent = "ignore-mount-silent", CONFIG_MOUNTS_OPTIONS_SILENT, "the silent mount option is ignored: the mount is made without MS_SILENT";
    IgnoreMountLoud = "ignore-mount-loud", CONFIG_MOUNTS_OPTIONS_LOUD, "the loud mount option is ignored: an earlier silent keeps MS_SILENT on the mount";
    IgnoreMountIversion = "ignore-mount-iversion", CONFIG_MOUNTS_OPTIONS_IVERSION, "the iversion mount option is ignored: the mount is made without MS_I_VERSION";
    IgnoreMountNoiversion = "ignore-mount-noiversion", CONFIG_MOUNTS_OPTIONS_NOIVERSION, "the noiversion mount option is ignored: an earlier iversion keeps MS_I_VERSION on the mount";
}

/// The mutation active in this process: set once by [`init`].
static ACTIVE: OnceLock<Option<&'static Mutation>> = OnceLock::new();

/// The mutation called `name`.
pub fn find(name: &str) -> Option<&'static Mutation> {
    ALL.iter().find(|m| m.name == name)
}

/// The mutation of one flaw.
pub fn of(flaw: Flaw) -> &'static Mutation {
    // The macro makes ALL and Flaw from one list: entry N is variant N.
    &ALL[flaw as usize]
}

/// Why [`VAR`] is refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "{var}={value:?} names no mutation of ocicheck-runtime (a testing device); unset it, or use one of: {valid}",
    var = VAR,
    valid = ALL.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
)]
pub struct UnknownMutation {
    pub value: String,
}

/// The mutation a value of [`VAR`] names (empty: none).
pub fn parse(value: &str) -> Result<Option<&'static Mutation>, UnknownMutation> {
    if value.is_empty() {
        return Ok(None);
    }
    find(value).map(Some).ok_or_else(|| UnknownMutation {
        value: value.to_string(),
    })
}

/// Reads [`VAR`] once and takes it out of this process's environment (so no child that gets
/// the runtime's environment sees it). Called first thing by the command line.
pub fn init() -> Result<Option<&'static Mutation>, UnknownMutation> {
    if let Some(m) = ACTIVE.get() {
        return Ok(*m);
    }
    let value = std::env::var_os(VAR)
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::env::remove_var(VAR);
    let m = parse(&value)?;
    Ok(*ACTIVE.get_or_init(|| m))
}

/// The active mutation, if any.
pub fn current() -> Option<&'static Mutation> {
    ACTIVE.get().copied().flatten()
}

/// Whether `flaw` is the active mutation.
pub fn active(flaw: Flaw) -> bool {
    current().is_some_and(|m| m.flaw == flaw)
}

/// Whether the program runs at create: two spec sentences (runtime.md's lifecycle and its
/// create section) forbid the same defect, each with its own mutation.
pub fn runs_program_at_create() -> bool {
    active(Flaw::RunProgramAtCreate) || active(Flaw::RunArgsAtCreate)
}

/// Whether a container without process is accepted: runtime.md's start section and config.md's
/// process section forbid the same defect, each with its own mutation.
pub fn accepts_no_process() -> bool {
    active(Flaw::AcceptNoProcess) || active(Flaw::StartWithoutProcess)
}

/// The one warning line `create` prints while a mutation is active.
pub fn warning() -> Option<String> {
    current().map(|m| {
        format!(
            "ocicheck-runtime: deliberately broken ({VAR}={}): {}",
            m.name, m.defect
        )
    })
}

/// Whether the active mutation skips a listed, path-less namespace of type `t`.
pub fn skips_namespace(t: oci_spec::runtime::LinuxNamespaceType) -> bool {
    use oci_spec::runtime::LinuxNamespaceType as T;
    active(match t {
        T::Pid => Flaw::SkipPidNamespace,
        T::Network => Flaw::SkipNetworkNamespace,
        T::Ipc => Flaw::SkipIpcNamespace,
        T::Uts => Flaw::SkipUtsNamespace,
        T::User => Flaw::SkipUserNamespace,
        T::Cgroup => Flaw::SkipCgroupNamespace,
        T::Time => Flaw::SkipTimeNamespace,
        // The runtime cannot work without its mount namespace: no mutation skips it.
        T::Mount => return false,
    })
}

/// Whether the runtime's prevalidation should pass over a finding of `requirement`: the
/// active mutation accepts what violates it.
pub fn accepts_finding(requirement: &str) -> bool {
    current().is_some_and(|m| m.violates.as_str() == requirement)
}

/// The mutation that makes a missing container id acceptable to `op`.
pub fn accepts_missing_id(op: &str) -> bool {
    match op {
        "state" => active(Flaw::AcceptStateWithoutId),
        "create" => active(Flaw::AcceptCreateWithoutId),
        "start" => active(Flaw::AcceptStartWithoutId),
        "kill" => active(Flaw::AcceptKillWithoutId),
        "delete" => active(Flaw::AcceptDeleteWithoutId),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use ocicheck_catalog::{Catalog, Kind};

    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_found() {
        let mut seen = HashSet::new();
        for (i, m) in ALL.iter().enumerate() {
            assert!(seen.insert(m.name), "{} listed twice", m.name);
            assert!(
                m.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !m.name.starts_with('-')
                    && !m.name.ends_with('-'),
                "{} is not kebab-case",
                m.name
            );
            assert_eq!(find(m.name), Some(m));
            assert_eq!(m.flaw as usize, i, "{} out of order", m.name);
            assert_eq!(of(m.flaw), m);
            assert!(!m.defect.is_empty());
        }
    }

    #[test]
    fn every_mutation_violates_a_runtime_requirement() {
        let catalog = Catalog::embedded().expect("catalog");
        for m in ALL {
            let r = catalog
                .get(m.violates.as_str())
                .unwrap_or_else(|| panic!("{}: {} not in the catalog", m.name, m.violates));
            assert_eq!(
                r.kind,
                Kind::Runtime,
                "{}: {} is not of kind runtime",
                m.name,
                m.violates
            );
        }
    }

    #[test]
    fn unknown_names_are_refused_with_the_valid_ones() {
        assert!(find("no-such-mutation").is_none());
        let e = parse("no-such-mutation").expect_err("refused");
        let text = e.to_string();
        assert!(
            text.contains(VAR) && text.contains("no-such-mutation"),
            "{text}"
        );
        assert!(
            text.contains("skip-poststop-hooks") && text.contains("state-pid-plus-one"),
            "{text}"
        );
        assert_eq!(parse("").expect("empty"), None);
        assert_eq!(
            parse("skip-poststop-hooks").expect("known").map(|m| m.flaw),
            Some(Flaw::SkipPoststopHooks)
        );
    }
}
