//! Model-based check of the core's invariants: random sequences of ENI, address, group and
//! instance operations (valid or not), in either cloud's rules, run against the real SQLite store, and after every step the
//! whole state is checked: attachments point at live instances, per-instance ENI quotas hold,
//! every private IP is inside its subnet, not reserved, unique, and claimed exactly once, MACs
//! are unique, primary ENIs stay on their instances, failed operations change nothing.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use eniplane_core::ipam::{self, Cidr};
use eniplane_core::model::{Eni, Instance, SecurityGroup, Subnet, Vpc};
use eniplane_core::ops::eni::{self as eni_ops, NewEni, MAC_SPACE};
use eniplane_core::ops::instance::{self as ins_ops, Change, NewInstances};
use eniplane_core::ops::network::{self, NewSubnet, NewVpc};
use eniplane_core::ops::security_group::{self, NewGroup};
use eniplane_core::ops::{private_ip, transitions, Env};
use eniplane_core::{repo, Catalog, Cloud, Error, Scope};
use eniplane_store::{Store, Tx};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    CreateEni { groups: u8, secondary: u8 },
    DeleteEni(u8),
    Attach { eni: u8, instance: u8 },
    Detach(u8),
    Assign { eni: u8, count: u8 },
    Unassign(u8),
    MoveIp { from: u8, to: u8 },
    Associate { eni: u8, group: u8 },
    Disassociate { eni: u8, group: u8 },
    Stop(u8),
    Start(u8),
    Terminate(u8),
    Settle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..3, 0u8..3).prop_map(|(groups, secondary)| Op::CreateEni { groups, secondary }),
        any::<u8>().prop_map(Op::DeleteEni),
        (any::<u8>(), 0u8..3).prop_map(|(eni, instance)| Op::Attach { eni, instance }),
        any::<u8>().prop_map(Op::Detach),
        (any::<u8>(), 1u8..4).prop_map(|(eni, count)| Op::Assign { eni, count }),
        any::<u8>().prop_map(Op::Unassign),
        (any::<u8>(), any::<u8>()).prop_map(|(from, to)| Op::MoveIp { from, to }),
        (any::<u8>(), 0u8..3).prop_map(|(eni, group)| Op::Associate { eni, group }),
        (any::<u8>(), 0u8..3).prop_map(|(eni, group)| Op::Disassociate { eni, group }),
        (0u8..3).prop_map(Op::Stop),
        (0u8..3).prop_map(Op::Start),
        (0u8..3).prop_map(Op::Terminate),
        Just(Op::Settle),
    ]
}

struct World {
    store: Store,
    env: Env,
    subnet: Subnet,
    groups: Vec<String>,
    instances: Vec<String>,
    counter: u64,
    _dir: tempfile::TempDir,
}

fn run<R: Send + 'static>(
    store: &Store,
    mut f: impl FnMut(&mut dyn Tx) -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    store.write_blocking(move |tx: &mut dyn Tx| f(tx))
}

impl World {
    fn new(cloud: Cloud) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).unwrap();
        let (region, zone) = match cloud {
            Cloud::Tencent => ("ap-guangzhou", "ap-guangzhou-3"),
            Cloud::Ens => ("cn-beijing-15", "cn-beijing-15"),
        };
        let env = Env {
            scope: Scope::new("100000000001", cloud, region),
            catalog: Arc::new(Catalog::default()),
            now_ms: 1_000_000,
            delay_ms: 1_000,
            request_id: "setup".into(),
        };
        let e = env.clone();
        let (subnet, groups, instances) = run(&store, move |tx| {
            let vpc: Vpc = network::create_vpc(
                tx,
                &e,
                NewVpc { name: "v".into(), cidr: "10.0.0.0/16".into(), ..Default::default() },
            )?;
            // A /28: 16 addresses, 13 usable, so exhaustion is reached often.
            let subnet = network::create_subnet(
                tx,
                &e,
                NewSubnet {
                    vpc_id: vpc.id.clone(),
                    name: "s".into(),
                    cidr: "10.0.0.0/28".into(),
                    zone: zone.into(),
                    ..Default::default()
                },
            )?;
            let mut groups = Vec::new();
            for n in 0..3 {
                let g: SecurityGroup =
                    security_group::create(tx, &e, NewGroup { name: format!("g{n}"), ..Default::default() })?;
                groups.push(g.id);
            }
            let mut env2 = e.clone();
            env2.request_id = "launch".into();
            let launched = ins_ops::run(
                tx,
                &env2,
                NewInstances {
                    instance_type: "S5.LARGE8".into(),
                    image_id: "img-12345678".into(),
                    subnet_id: subnet.id.clone(),
                    security_group_ids: vec![groups[0].clone()],
                    count: 3,
                    ..Default::default()
                },
                "RunInstances",
            )?;
            Ok((subnet, groups, launched.into_iter().map(|i| i.id).collect::<Vec<_>>()))
        })
        .unwrap();
        let mut w = Self { store, env, subnet, groups, instances, counter: 0, _dir: dir };
        w.settle();
        w
    }

    fn next_env(&mut self) -> Env {
        self.counter += 1;
        let mut env = self.env.clone();
        env.request_id = format!("req-{}", self.counter);
        env.now_ms += self.counter as i64;
        env
    }

    fn enis(&self) -> Vec<Eni> {
        let scope = self.env.scope.clone();
        self.store.read_blocking(move |tx: &mut dyn Tx| repo::list::<Eni>(tx, &scope)).unwrap()
    }

    fn secondary(&self, pick: u8) -> Option<String> {
        let list: Vec<Eni> = self.enis().into_iter().filter(|e| !e.primary).collect();
        (!list.is_empty()).then(|| list[pick as usize % list.len()].id.clone())
    }

    /// Completes every pending transition (time jumps far ahead).
    fn settle(&mut self) {
        let far = self.env.now_ms + 1_000_000_000;
        let due =
            self.store.read_blocking(move |tx: &mut dyn Tx| Ok::<_, Error>(tx.due_transitions(far, 10_000)?)).unwrap();
        for t in due {
            run(&self.store, move |tx| transitions::complete(tx, t.id, far)).unwrap();
        }
    }

    fn apply(&mut self, op: &Op) -> Result<(), Error> {
        let env = self.next_env();
        let store = self.store.clone();
        match op.clone() {
            Op::CreateEni { groups, secondary } => {
                let input = NewEni {
                    subnet_id: self.subnet.id.clone(),
                    name: "e".into(),
                    security_group_ids: self.groups[..groups as usize].to_vec(),
                    secondary_count: secondary as u32,
                    ..Default::default()
                };
                run(&store, move |tx| eni_ops::create(tx, &env, input.clone()).map(|_| ()))
            }
            Op::DeleteEni(p) => match self.secondary(p) {
                Some(id) => run(&store, move |tx| {
                    eni_ops::delete(tx, &env, std::slice::from_ref(&id), "DeleteNetworkInterface").map(|_| ())
                }),
                None => Ok(()),
            },
            Op::Attach { eni, instance } => match self.secondary(eni) {
                Some(id) => {
                    let ins = self.instances[instance as usize % self.instances.len()].clone();
                    run(&store, move |tx| eni_ops::attach(tx, &env, &id, &ins, "AttachNetworkInterface").map(|_| ()))
                }
                None => Ok(()),
            },
            Op::Detach(p) => match self.secondary(p) {
                Some(id) => {
                    run(&store, move |tx| eni_ops::detach(tx, &env, &id, None, "DetachNetworkInterface").map(|_| ()))
                }
                None => Ok(()),
            },
            Op::Assign { eni, count } => match self.secondary(eni) {
                Some(id) => run(&store, move |tx| {
                    private_ip::assign(tx, &env, &id, &[], count as u32, "AssignPrivateIpAddresses").map(|_| ())
                }),
                None => Ok(()),
            },
            Op::Unassign(p) => {
                let target = self.enis().into_iter().filter(|e| !e.primary).find_map(|e| {
                    e.private_ips.iter().find(|ip| !ip.primary).map(|ip| (e.id.clone(), ip.address.clone()))
                });
                let _ = p;
                match target {
                    Some((id, ip)) => run(&store, move |tx| {
                        private_ip::unassign(tx, &env, &id, std::slice::from_ref(&ip), "UnassignPrivateIpAddresses")
                    }),
                    None => Ok(()),
                }
            }
            Op::MoveIp { from, to } => {
                let enis: Vec<Eni> = self.enis();
                if enis.is_empty() {
                    return Ok(());
                }
                let src = &enis[from as usize % enis.len()];
                let dst = enis[to as usize % enis.len()].id.clone();
                match src.private_ips.iter().find(|ip| !ip.primary) {
                    Some(ip) => {
                        let (src, ip) = (src.id.clone(), ip.address.clone());
                        run(&store, move |tx| private_ip::migrate(tx, &env, &src, &dst, &ip))
                    }
                    None => Ok(()),
                }
            }
            Op::Associate { eni, group } | Op::Disassociate { eni, group } => {
                let enis = self.enis();
                if enis.is_empty() {
                    return Ok(());
                }
                let id = enis[eni as usize % enis.len()].id.clone();
                let g = self.groups[group as usize].clone();
                let add = matches!(op, Op::Associate { .. });
                run(&store, move |tx| {
                    if add {
                        eni_ops::associate_groups(tx, &env, std::slice::from_ref(&id), std::slice::from_ref(&g))
                            .map(|_| ())
                    } else {
                        eni_ops::disassociate_groups(
                            tx,
                            &env,
                            std::slice::from_ref(&id),
                            std::slice::from_ref(&g),
                            false,
                        )
                        .map(|_| ())
                    }
                })
            }
            Op::Stop(i) | Op::Start(i) | Op::Terminate(i) => {
                let ins = self.instances[i as usize % self.instances.len()].clone();
                let what = match op {
                    Op::Stop(_) => Change::Stop,
                    Op::Start(_) => Change::Start,
                    _ => Change::Terminate,
                };
                run(&store, move |tx| ins_ops::change(tx, &env, std::slice::from_ref(&ins), what, "Change").map(|_| ()))
            }
            Op::Settle => {
                self.settle();
                Ok(())
            }
        }
    }

    /// Everything that must hold, whatever happened.
    fn check(&self) -> Result<(), String> {
        let scope = self.env.scope.clone();
        let subnet = self.subnet.clone();
        let (enis, instances, claims, macs) = self
            .store
            .read_blocking(move |tx: &mut dyn Tx| {
                let enis = repo::list::<Eni>(tx, &scope)?;
                let instances = repo::list::<Instance>(tx, &scope)?;
                let claims = tx.claimed(&eni_ops::ip_space(&subnet.id))?;
                let macs = tx.claimed(MAC_SPACE)?;
                Ok::<_, Error>((enis, instances, claims, macs))
            })
            .map_err(|e| e.to_string())?;
        let cidr = Cidr::parse("", &self.subnet.cidr).unwrap();
        let live: BTreeMap<&str, &Instance> = instances.iter().map(|i| (i.id.as_str(), i)).collect();
        let mut per_instance: BTreeMap<&str, usize> = BTreeMap::new();
        let mut ips: BTreeMap<String, String> = BTreeMap::new();
        let mut mac_set = HashSet::new();
        for e in &enis {
            if let Some(a) = &e.attachment {
                if !live.contains_key(a.instance_id.as_str()) {
                    return Err(format!("{} attached to a missing instance {}", e.id, a.instance_id));
                }
                *per_instance.entry(a.instance_id.as_str()).or_default() += 1;
            }
            if e.primary != e.attachment.as_ref().is_some_and(|a| a.device_index == 0) {
                return Err(format!("{} primary={} but attachment {:?}", e.id, e.primary, e.attachment));
            }
            if e.private_ips.iter().filter(|p| p.primary).count() != 1 {
                return Err(format!("{} has {} primary IPs", e.id, e.private_ips.iter().filter(|p| p.primary).count()));
            }
            if e.security_group_ids.len() > 5 {
                return Err(format!("{} has {} groups", e.id, e.security_group_ids.len()));
            }
            for p in &e.private_ips {
                let ip = ipam::parse_ip("", &p.address).map_err(|e| e.to_string())?;
                if !cidr.contains(ip) || cidr.is_reserved(ip) {
                    return Err(format!("{} holds {} outside the usable subnet", e.id, p.address));
                }
                if let Some(other) = ips.insert(p.address.clone(), e.id.clone()) {
                    return Err(format!("{} is on both {other} and {}", p.address, e.id));
                }
            }
            if !mac_set.insert(e.mac.clone()) {
                return Err(format!("duplicate MAC {}", e.mac));
            }
        }
        for i in &instances {
            let n = per_instance.get(i.id.as_str()).copied().unwrap_or(0);
            let limit = self.env.catalog.enis_per_instance(self.env.scope.cloud, &i.instance_type) as usize;
            if n > limit {
                return Err(format!("{} holds {n} ENIs, over its quota of {limit}", i.id));
            }
            if !enis.iter().any(|e| e.id == i.primary_eni_id && e.primary) {
                return Err(format!("{} lost its primary ENI", i.id));
            }
        }
        let claimed: BTreeMap<String, String> = claims.into_iter().collect();
        if claimed != ips {
            return Err(format!("IP claims {claimed:?} differ from ENI addresses {ips:?}"));
        }
        let claimed_macs: HashSet<String> = macs.into_iter().map(|(k, _)| k).collect();
        if claimed_macs != mac_set {
            return Err(format!("MAC claims differ: {} claimed, {} on ENIs", claimed_macs.len(), mac_set.len()));
        }
        Ok(())
    }

    fn snapshot(&self) -> String {
        let scope = self.env.scope.clone();
        self.store
            .read_blocking(move |tx: &mut dyn Tx| {
                let mut out = String::new();
                for kind in ["eni", "instance", "sg"] {
                    for r in tx.list(kind, &scope.account, &scope.key())? {
                        out.push_str(&r.body);
                    }
                }
                Ok::<_, Error>(out)
            })
            .unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_under_random_operations(
        ens in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let mut w = World::new(if ens { Cloud::Ens } else { Cloud::Tencent });
        for op in &ops {
            let before = w.snapshot();
            let result = w.apply(op);
            if let Err(e) = &result {
                prop_assert_eq!(&before, &w.snapshot(), "failed {:?} ({}) changed the state", op, e);
                prop_assert!(!matches!(e, Error::Store(_)), "{:?} hit a store error: {}", op, e);
            }
            if let Err(msg) = w.check() {
                prop_assert!(false, "after {:?} ({:?}): {}", op, result.as_ref().err(), msg);
            }
        }
        w.settle();
        if let Err(msg) = w.check() {
            prop_assert!(false, "after settling: {}", msg);
        }
    }
}

/// The harness itself reaches the interesting states: a scripted run where every step succeeds.
#[test]
fn scripted_run_succeeds_at_every_step() {
    let mut w = World::new(Cloud::Tencent);
    let script = [
        Op::CreateEni { groups: 1, secondary: 1 },
        Op::CreateEni { groups: 2, secondary: 0 },
        Op::Settle,
        Op::Attach { eni: 0, instance: 0 },
        Op::Assign { eni: 1, count: 2 },
        Op::Settle,
        Op::MoveIp { from: 3, to: 4 },
        Op::Disassociate { eni: 3, group: 0 },
        Op::Associate { eni: 3, group: 2 },
        Op::Settle,
        Op::Unassign(0),
        Op::Detach(0),
        Op::Settle,
        Op::DeleteEni(0),
        Op::Terminate(2),
        Op::Settle,
    ];
    for op in &script {
        let enis = w.enis().len();
        w.apply(op).unwrap_or_else(|e| panic!("{op:?} failed with {enis} ENIs: {e}"));
        w.check().unwrap_or_else(|m| panic!("after {op:?}: {m}"));
    }
    assert_eq!(
        w.enis().len(),
        3 + 2 - 1 - 1,
        "three primaries and two secondaries, minus one deleted and one terminated primary"
    );
}
