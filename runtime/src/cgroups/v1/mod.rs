//! cgroup v1 controllers: one module per controller, each writing its part of
//! `linux.resources` into the container's directory of the hierarchy that has it.

pub mod blkio;
pub mod cpu;
pub mod cpuset;
pub mod devices;
pub mod freezer;
pub mod hugetlb;
pub mod memory;
pub mod net_cls;
pub mod net_prio;
pub mod pids;
pub mod rdma;
