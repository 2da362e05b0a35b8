//! Tencent dialect helpers: hand-built TC3 requests (GET, form, tampered), legacy HmacSHA1 /
//! HmacSHA256 signed requests, and a fixture of VPC + subnet + security groups + instance.

use std::time::Duration;

use eniplane_auth::{tc3, tencent_v1};
use serde_json::{json, Value};

use super::{code, Answer, Key, TestServer};

/// The region the default helpers call.
pub const REGION: &str = "ap-guangzhou";
/// A zone of [`REGION`].
pub const ZONE: &str = "ap-guangzhou-3";
/// Another zone of [`REGION`].
pub const ZONE2: &str = "ap-guangzhou-4";
/// An instance type whose quota is 2 ENIs (primary included) and 10 IPs per ENI.
pub const SMALL_TYPE: &str = "S5.MEDIUM4";

/// A TC3 request under construction; every part can be bent for negative tests.
#[derive(Clone, Debug)]
pub struct Tc3 {
    /// Credential-scope service (`vpc`, `cvm`, or the Node SDK's `127`).
    pub service: String,
    /// `X-TC-Action`.
    pub action: String,
    /// `X-TC-Version`.
    pub version: String,
    /// `X-TC-Region` (omitted when `None`).
    pub region: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Raw query string (signed as is).
    pub query: String,
    /// `Content-Type` sent and signed.
    pub content_type: String,
    /// `X-TC-Timestamp`.
    pub timestamp: i64,
    /// Host used in the signature (`None`: the Host header sent).
    pub sign_host: Option<String>,
    /// Body that is signed.
    pub body: Vec<u8>,
}

impl Tc3 {
    /// A POST with a JSON body, signed like the Python SDK.
    pub fn post(service: &str, action: &str, params: &Value) -> Self {
        Self::post_raw(service, action, serde_json::to_vec(params).unwrap())
    }

    /// A POST with raw body bytes (e.g. broken JSON), signed over those bytes.
    pub fn post_raw(service: &str, action: &str, body: Vec<u8>) -> Self {
        Self {
            service: service.into(),
            action: action.into(),
            version: "2017-03-12".into(),
            region: Some(REGION.into()),
            method: "POST".into(),
            query: String::new(),
            content_type: "application/json".into(),
            timestamp: chrono::Utc::now().timestamp(),
            sign_host: None,
            body,
        }
    }

    /// A GET with flattened parameters in the query (`Filters.0.Values.0=…`).
    pub fn get(service: &str, action: &str, query: &[(&str, &str)]) -> Self {
        let qs: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(query.iter()).finish();
        Self {
            method: "GET".into(),
            query: qs,
            content_type: "application/x-www-form-urlencoded".into(),
            body: Vec::new(),
            ..Self::post_raw(service, action, Vec::new())
        }
    }

    /// A POST with flattened parameters in an urlencoded form body.
    pub fn form(service: &str, action: &str, params: &[(&str, &str)]) -> Self {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
        Self {
            content_type: "application/x-www-form-urlencoded".into(),
            ..Self::post_raw(service, action, body.into())
        }
    }
}

/// A VPC, a subnet in [`ZONE`] and two security groups.
#[derive(Clone, Debug)]
pub struct Net {
    /// `vpc-…` (10.0.0.0/16).
    pub vpc: String,
    /// `subnet-…` (10.0.1.0/24 in [`ZONE`]).
    pub subnet: String,
    /// Two `sg-…`.
    pub sgs: Vec<String>,
}

/// Asserts a `Response` is not an error and returns it.
pub fn ok(r: Value) -> Value {
    assert!(code(&r).is_none(), "unexpected error: {r}");
    r
}

/// Asserts a `Response` carries exactly this error code.
pub fn err(r: &Value, expected: &str) {
    assert_eq!(code(r), Some(expected), "expected {expected}: {r}");
}

/// Whether `id` is `<prefix>` followed by exactly 8 of `[0-9a-z]`.
pub fn id_shape(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|t| t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()))
}

impl TestServer {
    /// Headers of a signed TC3 request.
    pub fn tc3_headers(&self, key: &Key, r: &Tc3) -> Vec<(String, String)> {
        let host = self.host();
        let sign_host = r.sign_host.clone().unwrap_or_else(|| host.clone());
        let auth = tc3::sign(
            &key.id,
            &key.secret,
            &r.service,
            &sign_host,
            &r.method,
            &r.query,
            &r.content_type,
            &r.body,
            r.timestamp,
        );
        let mut headers = vec![
            ("Host".to_string(), host),
            ("Content-Type".to_string(), r.content_type.clone()),
            ("X-TC-Action".to_string(), r.action.clone()),
            ("X-TC-Version".to_string(), r.version.clone()),
            ("X-TC-Timestamp".to_string(), r.timestamp.to_string()),
            ("Authorization".to_string(), auth),
        ];
        if let Some(region) = &r.region {
            headers.push(("X-TC-Region".to_string(), region.clone()));
        }
        headers
    }

    /// Sends a TC3 request built with [`Tc3`].
    pub async fn tc3_send(&self, key: &Key, r: &Tc3) -> Answer {
        let headers = self.tc3_headers(key, r);
        let path = if r.query.is_empty() { "/".to_string() } else { format!("/?{}", r.query) };
        self.raw(&r.method, &path, &headers, r.body.clone()).await
    }

    /// A legacy (API 3.0 `Signature` parameter) request: `sig_method` `HmacSHA1` or `HmacSHA256`;
    /// `GET` puts everything in the query, `POST` in an urlencoded form body.
    pub async fn v1_as(
        &self,
        key: &Key,
        method: &str,
        sig_method: &str,
        action: &str,
        params: &[(&str, &str)],
        nonce: &str,
    ) -> Answer {
        let mut all: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for (k, v) in [
            ("Action", action.to_string()),
            ("Version", "2017-03-12".to_string()),
            ("Region", REGION.to_string()),
            ("Timestamp", chrono::Utc::now().timestamp().to_string()),
            ("Nonce", nonce.to_string()),
            ("SecretId", key.id.clone()),
            ("SignatureMethod", sig_method.to_string()),
        ] {
            all.push((k.to_string(), v));
        }
        let host = self.host();
        let sig = tencent_v1::sign(&key.secret, sig_method, method, &host, "/", &all);
        all.push(("Signature".to_string(), sig));
        let encoded: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(all.iter()).finish();
        if method == "GET" {
            self.raw("GET", &format!("/?{encoded}"), &[("Host".to_string(), host)], Vec::new()).await
        } else {
            let headers = vec![
                ("Host".to_string(), host),
                ("Content-Type".to_string(), "application/x-www-form-urlencoded".to_string()),
            ];
            self.raw(method, "/", &headers, encoded.into_bytes()).await
        }
    }

    /// A VPC action with another key in [`REGION`]; returns `Response`.
    pub async fn vpc_as(&self, key: &Key, action: &str, params: Value) -> Value {
        self.tc3_as(key, "vpc", action, Some(REGION), params).await.body["Response"].clone()
    }

    /// A CVM action with another key in [`REGION`]; returns `Response`.
    pub async fn cvm_as(&self, key: &Key, action: &str, params: Value) -> Value {
        self.tc3_as(key, "cvm", action, Some(REGION), params).await.body["Response"].clone()
    }

    /// VPC 10.0.0.0/16, subnet 10.0.1.0/24 in [`ZONE`], two security groups, owned by `key`.
    pub async fn net_as(&self, key: &Key) -> Net {
        let vpc = ok(self.vpc_as(key, "CreateVpc", json!({"VpcName": "net", "CidrBlock": "10.0.0.0/16"})).await);
        let vpc = vpc["Vpc"]["VpcId"].as_str().unwrap().to_string();
        let subnet = ok(self
            .vpc_as(
                key,
                "CreateSubnet",
                json!({"VpcId": vpc, "SubnetName": "sn", "CidrBlock": "10.0.1.0/24", "Zone": ZONE}),
            )
            .await);
        let subnet = subnet["Subnet"]["SubnetId"].as_str().unwrap().to_string();
        let mut sgs = Vec::new();
        for n in 0..2 {
            sgs.push(self.sg_as(key, &format!("sg{n}")).await);
        }
        Net { vpc, subnet, sgs }
    }

    /// [`TestServer::net_as`] with the default key.
    pub async fn net(&self) -> Net {
        self.net_as(&self.key.clone()).await
    }

    /// Creates a security group; returns its id.
    pub async fn sg_as(&self, key: &Key, name: &str) -> String {
        let r = ok(self.vpc_as(key, "CreateSecurityGroup", json!({"GroupName": name, "GroupDescription": "d"})).await);
        r["SecurityGroup"]["SecurityGroupId"].as_str().unwrap().to_string()
    }

    /// Creates a subnet in `vpc`; returns its id.
    pub async fn subnet_in(&self, vpc: &str, cidr: &str, zone: &str) -> String {
        let r = ok(self
            .vpc("CreateSubnet", json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": cidr, "Zone": zone}))
            .await);
        r["Subnet"]["SubnetId"].as_str().unwrap().to_string()
    }

    /// Launches one instance of `instance_type` in `subnet` (zone `zone`) and waits for RUNNING.
    pub async fn instance_as(&self, key: &Key, vpc: &str, subnet: &str, zone: &str, instance_type: &str) -> String {
        let id = self.launch_as(key, vpc, subnet, zone, instance_type).await;
        assert!(self.wait_instance_as(key, &id, "RUNNING").await, "instance {id} never ran");
        id
    }

    /// Launches one instance without waiting; returns its id.
    pub async fn launch_as(&self, key: &Key, vpc: &str, subnet: &str, zone: &str, instance_type: &str) -> String {
        let r = ok(self
            .cvm_as(
                key,
                "RunInstances",
                json!({
                    "Placement": {"Zone": zone},
                    "InstanceType": instance_type,
                    "ImageId": "img-eb30mz89",
                    "VirtualPrivateCloud": {"VpcId": vpc, "SubnetId": subnet},
                    "InstanceName": "t",
                }),
            )
            .await);
        r["InstanceIdSet"][0].as_str().unwrap().to_string()
    }

    /// A RUNNING [`SMALL_TYPE`] instance in the net's subnet, default key.
    pub async fn instance(&self, net: &Net) -> String {
        self.instance_as(&self.key.clone(), &net.vpc, &net.subnet, ZONE, SMALL_TYPE).await
    }

    /// The instance state as DescribeInstancesStatus shows it (`None` when absent).
    pub async fn instance_state_as(&self, key: &Key, id: &str) -> Option<String> {
        let r = ok(self.cvm_as(key, "DescribeInstancesStatus", json!({"InstanceIds": [id]})).await);
        r["InstanceStatusSet"][0]["InstanceState"].as_str().map(str::to_string)
    }

    /// Waits up to 5 s for an instance state (`"GONE"` waits for it to disappear).
    pub async fn wait_instance_as(&self, key: &Key, id: &str, state: &str) -> bool {
        self.wait_until(Duration::from_secs(5), || async {
            let now = self.instance_state_as(key, id).await;
            now.as_deref().unwrap_or("GONE") == state
        })
        .await
    }

    /// Creates a secondary ENI with these groups and waits until it is AVAILABLE.
    pub async fn eni_as(&self, key: &Key, net: &Net, sgs: &[String]) -> String {
        let r = ok(self
            .vpc_as(
                key,
                "CreateNetworkInterface",
                json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "e", "SecurityGroupIds": sgs}),
            )
            .await);
        let id = r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string();
        assert!(self.wait_eni_as(key, &id, "AVAILABLE").await, "eni {id} never became available");
        id
    }

    /// [`TestServer::eni_as`] with the default key.
    pub async fn eni(&self, net: &Net, sgs: &[String]) -> String {
        self.eni_as(&self.key.clone(), net, sgs).await
    }

    /// The ENI as DescribeNetworkInterfaces shows it (`Null` when absent).
    pub async fn describe_eni_as(&self, key: &Key, id: &str) -> Value {
        let r = ok(self.vpc_as(key, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [id]})).await);
        r["NetworkInterfaceSet"].get(0).cloned().unwrap_or(Value::Null)
    }

    /// [`TestServer::describe_eni_as`] with the default key.
    pub async fn describe_eni(&self, id: &str) -> Value {
        self.describe_eni_as(&self.key.clone(), id).await
    }

    /// The sorted `GroupSet` of an ENI.
    pub async fn groups_of(&self, id: &str) -> Vec<String> {
        let e = self.describe_eni(id).await;
        let mut v: Vec<String> =
            e["GroupSet"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_string()).collect();
        v.sort();
        v
    }

    /// Waits up to 5 s for an ENI `State` (`"GONE"` waits for it to disappear).
    pub async fn wait_eni_as(&self, key: &Key, id: &str, state: &str) -> bool {
        self.wait_until(Duration::from_secs(5), || async {
            let e = self.describe_eni_as(key, id).await;
            e["State"].as_str().unwrap_or("GONE") == state
        })
        .await
    }

    /// [`TestServer::wait_eni_as`] with the default key.
    pub async fn wait_eni(&self, id: &str, state: &str) -> bool {
        self.wait_eni_as(&self.key.clone(), id, state).await
    }

    /// Waits up to 5 s until the ENI is attached (attachment settled) to `instance`.
    pub async fn wait_attached(&self, id: &str, instance: &str) -> bool {
        self.wait_until(Duration::from_secs(5), || async {
            let e = self.describe_eni(id).await;
            e["NetworkInterfaceState"] == "INUSE" && e["Attachment"]["InstanceId"] == instance
        })
        .await
    }

    /// Waits up to 5 s for `DescribeVpcTaskResult(task)` to report `status`.
    pub async fn wait_task(&self, task: &str, status: &str) -> bool {
        self.wait_until(Duration::from_secs(5), || async {
            self.vpc("DescribeVpcTaskResult", json!({"TaskId": task})).await["Status"] == status
        })
        .await
    }
}
