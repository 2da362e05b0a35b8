//! The resources eniplane manages, as stored documents.

mod eni;
mod instance;
mod network;
mod security_group;
mod task;

pub use eni::{Attachment, Eni, EniState, IpState, PrivateIp};
pub use instance::{Instance, InstanceState};
pub use network::{Subnet, Tag, Vpc};
pub use security_group::{Direction, Rule, SecurityGroup};
pub use task::{AccessKey, Account, Task, TaskResult, TaskStatus};
