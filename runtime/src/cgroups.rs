// TEMPORARY STUB (not committed): replaced by the rt-parts branch.
use std::path::PathBuf;
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Cgroup { dirs: Vec<PathBuf> }
#[derive(Debug)]
pub struct CgroupError(pub String);
impl std::fmt::Display for CgroupError { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { f.write_str(&self.0) } }
pub struct V1Hierarchy { pub controllers: String, pub mountpoint: PathBuf }
pub struct Layout { pub v1: Vec<V1Hierarchy>, pub v2: Option<PathBuf>, pub unified_only: bool }
impl Cgroup {
    pub fn create(_p: Option<&str>, _id: &str, _r: Option<&oci_spec::runtime::LinuxResources>, _d: &[oci_spec::runtime::LinuxDevice]) -> Result<Cgroup, CgroupError> { Ok(Cgroup{dirs: vec![]}) }
    pub fn add_process(&self, _pid: i32) -> Result<(), CgroupError> { Ok(()) }
    pub fn pids(&self) -> Result<Vec<i32>, CgroupError> { Ok(vec![]) }
    pub fn signal_all(&self, _s: nix::sys::signal::Signal) -> Result<(), CgroupError> { Ok(()) }
    pub fn destroy(&self) -> Result<(), CgroupError> { Ok(()) }
    pub fn host_layout() -> Result<Layout, CgroupError> { Ok(Layout{v1: vec![], v2: None, unified_only: false}) }
}
