"""End-to-end: the official Alibaba Cloud ENS Python SDKs against eniplane.

Each test runs once per client (the `ens` fixture is parametrized):
  tea-v3  alibabacloud_ens20171110 Client, default ACS3-HMAC-SHA256
  tea-v2  alibabacloud_ens20171110 Client with Config(signature_algorithm='v2') (RPC HMAC-SHA1)
  core    aliyun-python-sdk-core AcsClient + aliyun-python-sdk-ens requests (RPC HMAC-SHA1)
Responses are compared as the wire dict (tea: typed model `.to_map()`, so a wrong JSON shape shows
up as missing data; core: the raw JSON body).

The tests skip (only) when the server answers DescribeEnsRegions with InvalidAction.NotFound,
i.e. the ENS dialect is not there yet.
"""

from __future__ import annotations

import ipaddress

from e2e_support import ENS_REGION, EnsClient, ens_error, wait_until

TIMEOUT = 15.0
UNKNOWN_ENI = "eni-" + "0" * 20


# --------------------------------------------------------------------------- helpers

def enis(ens: EnsClient, **filters) -> list:
    resp = ens.call("DescribeNetworkInterfaces", dict(filters))
    assert "RequestId" in resp, resp
    sets = resp.get("NetworkInterfaceSets") or {}
    items = sets.get("NetworkInterfaceSet") or []
    assert isinstance(resp.get("TotalCount"), int) and resp["TotalCount"] >= len(items), resp
    return items


def eni(ens: EnsClient, eni_id: str) -> dict:
    items = enis(ens, NetworkInterfaceId=eni_id)
    assert len(items) == 1, items
    assert items[0]["NetworkInterfaceId"] == eni_id, items
    return items[0]


def instance(ens: EnsClient, instance_id: str) -> dict:
    resp = ens.call("DescribeInstances", {"InstanceId": instance_id})
    assert resp.get("Code") == 0, resp
    items = (resp.get("Instances") or {}).get("Instance") or []
    assert len(items) == 1, resp
    assert items[0]["InstanceId"] == instance_id, resp
    return items[0]


def wait_instance(ens, instance_id, status):
    return wait_until(lambda: (lambda i: i if i["Status"] == status else None)(instance(ens, instance_id)),
                      timeout=TIMEOUT, what=f"{instance_id} {status}")


def wait_eni(ens, eni_id, status):
    return wait_until(lambda: (lambda e: e if e["Status"] == status else None)(eni(ens, eni_id)),
                      timeout=TIMEOUT, what=f"{eni_id} {status}")


def security_groups_of(e: dict) -> list:
    return (e.get("SecurityGroupIds") or {}).get("SecurityGroup") or []


def build_network(ens: EnsClient):
    resp = ens.call("CreateNetwork", {"NetworkName": "e2e-net", "CidrBlock": "10.0.0.0/16",
                                      "EnsRegionId": ENS_REGION, "Description": "e2e network"})
    network_id = resp["NetworkId"]
    assert network_id, resp
    resp = ens.call("CreateVSwitch", {"VSwitchName": "e2e-vsw", "CidrBlock": "10.0.1.0/24",
                                      "EnsRegionId": ENS_REGION, "NetworkId": network_id})
    vswitch_id = resp["VSwitchId"]
    assert vswitch_id.startswith("vsw-"), resp
    resp = ens.call("CreateSecurityGroup", {
        "SecurityGroupName": "e2e-sg",
        "Description": "e2e security group",
        "Permissions": [{"Direction": "ingress", "IpProtocol": "TCP", "Policy": "Accept", "PortRange": "22/22",
                         "Priority": 1, "SourceCidrIp": "0.0.0.0/0"}],
    })
    sg_id = resp["SecurityGroupId"]
    assert sg_id.startswith("sg-"), resp
    return network_id, vswitch_id, sg_id


def run_instance(ens: EnsClient, network_id, vswitch_id, sg_id) -> str:
    resp = ens.call("RunInstances", {
        "EnsRegionId": ENS_REGION,
        "ScheduleAreaLevel": "Region",
        "InstanceType": "ens.sn1.small",
        "ImageId": "centos_7_9_x64_20G_alibase_20240628",
        "NetWorkId": network_id,
        "VSwitchId": vswitch_id,
        "SecurityId": sg_id,
        "Amount": 1,
        "InstanceChargeType": "PostPaid",
        "InternetChargeType": "BandwidthByDay",
        "Password": "Eniplane-e2e-2024",
        "InstanceName": "e2e-instance",
    })
    ids = resp["InstanceIds"]
    assert isinstance(ids, list) and len(ids) == 1 and ids[0].startswith("i-"), resp
    instance_id = ids[0]
    wait_instance(ens, instance_id, "Running")
    return instance_id


# --------------------------------------------------------------------------- tests

def test_describe_ens_regions(ens):
    resp = ens.call("DescribeEnsRegions", {})
    assert resp.get("Code") == 0, resp
    regions = [r["EnsRegionId"] for r in (resp.get("EnsRegions") or {}).get("EnsRegions") or []]
    assert ENS_REGION in regions, resp


def test_detach_lifecycle_errors_and_durability(ens, server):
    network_id, vswitch_id, sg_id = build_network(ens)
    instance_id = run_instance(ens, network_id, vswitch_id, sg_id)
    ins = instance(ens, instance_id)
    assert ins["EnsRegionId"] == ENS_REGION, ins

    # the instance's primary ENI
    primaries = [e for e in enis(ens, InstanceId=instance_id) if e["Type"] == "Primary"]
    assert len(primaries) == 1, enis(ens, InstanceId=instance_id)
    primary = primaries[0]
    assert primary["Status"] == "InUse", primary
    assert primary["InstanceId"] == instance_id, primary

    # ---- CreateNetworkInterface
    resp = ens.call("CreateNetworkInterface", {"VSwitchId": vswitch_id, "SecurityGroupIds": [sg_id],
                                               "Name": "e2e-eni", "Description": "e2e eni"})
    ids = resp["NetworkInterfaceIds"]
    assert isinstance(ids, list) and len(ids) == 1, resp
    eni_id = ids[0]
    assert eni_id.startswith("eni-"), resp
    e = wait_eni(ens, eni_id, "Available")
    assert e["Type"] == "Secondary", e
    assert e["VSwitchId"] == vswitch_id, e
    assert e["NetworkId"] == network_id, e
    assert e["EnsRegionId"] == ENS_REGION, e
    assert security_groups_of(e) == [sg_id], e
    assert ipaddress.ip_address(e["PrimaryIp"]) in ipaddress.ip_network("10.0.1.0/24"), e
    assert e["MacAddress"], e
    assert not e.get("InstanceId"), e

    # ---- attach needs a Stopped instance
    err = ens_error(lambda: ens.call("AttachNetworkInterface", {"InstanceId": instance_id,
                                                                "NetworkInterfaceId": eni_id}))
    assert err.code == "InvalidOperation.InvalidEnsStatus", err
    assert err.status == 400, err
    assert eni(ens, eni_id)["Status"] == "Available"

    resp = ens.call("StopInstance", {"InstanceId": instance_id})
    assert resp.get("Code") == 0, resp
    wait_instance(ens, instance_id, "Stopped")

    # ---- AttachNetworkInterface (async: Attaching -> InUse)
    resp = ens.call("AttachNetworkInterface", {"InstanceId": instance_id, "NetworkInterfaceId": eni_id})
    assert resp["RequestId"], resp
    e = wait_eni(ens, eni_id, "InUse")
    assert e["InstanceId"] == instance_id, e
    attached = {x["NetworkInterfaceId"] for x in enis(ens, InstanceId=instance_id)}
    assert attached == {primary["NetworkInterfaceId"], eni_id}, attached

    # ---- the primary ENI cannot be detached
    err = ens_error(lambda: ens.call("DetachNetworkInterface", {"NetworkInterfaceId": primary["NetworkInterfaceId"]}))
    assert err.code == "InvalidOperation.InvalidEniType", err
    assert err.status == 400, err

    # ---- detach needs a Stopped instance
    resp = ens.call("StartInstance", {"InstanceId": instance_id})
    assert resp.get("Code") == 0, resp
    wait_instance(ens, instance_id, "Running")
    err = ens_error(lambda: ens.call("DetachNetworkInterface", {"NetworkInterfaceId": eni_id}))
    assert err.code == "InvalidOperation.InvalidEnsStatus", err
    assert err.status == 400, err
    assert eni(ens, eni_id)["Status"] == "InUse"
    ens.call("StopInstance", {"InstanceId": instance_id})
    wait_instance(ens, instance_id, "Stopped")

    # ---- DetachNetworkInterface: the seed action (async: Detaching -> Available)
    resp = ens.call("DetachNetworkInterface", {"NetworkInterfaceId": eni_id})
    assert set(resp) == {"RequestId"}, resp
    assert resp["RequestId"], resp
    e = wait_eni(ens, eni_id, "Available")
    assert not e.get("InstanceId"), e
    assert security_groups_of(e) == [sg_id], e
    assert {x["NetworkInterfaceId"] for x in enis(ens, InstanceId=instance_id)} == {primary["NetworkInterfaceId"]}

    # ---- errors
    err = ens_error(lambda: ens.call("DetachNetworkInterface", {"NetworkInterfaceId": eni_id}))
    assert err.code == "InvalidOperation.InvalidEniStatus", err
    assert err.status == 400, err
    assert err.request_id, err

    err = ens_error(lambda: ens.call("DetachNetworkInterface", {"NetworkInterfaceId": UNKNOWN_ENI}))
    assert err.code == "InvalidEniId.NotFound", err
    assert err.status == 400, err

    # ---- durability: kill -9, restart on the same port and data dir, same state
    before_eni = eni(ens, eni_id)
    before_primary = eni(ens, primary["NetworkInterfaceId"])
    before_instance = instance(ens, instance_id)
    server.restart_after_kill9()
    after_eni = eni(ens, eni_id)
    assert after_eni["Status"] == "Available", after_eni
    assert not after_eni.get("InstanceId"), after_eni
    assert security_groups_of(after_eni) == [sg_id], after_eni
    assert after_eni["PrimaryIp"] == before_eni["PrimaryIp"], after_eni
    assert after_eni == before_eni
    assert eni(ens, primary["NetworkInterfaceId"]) == before_primary
    after_instance = instance(ens, instance_id)
    assert after_instance["Status"] == "Stopped", after_instance
    assert after_instance == before_instance

    # and it still works after the restart: attach again
    ens.call("AttachNetworkInterface", {"InstanceId": instance_id, "NetworkInterfaceId": eni_id})
    assert wait_eni(ens, eni_id, "InUse")["InstanceId"] == instance_id


def test_wrong_secret_and_unknown_key(ens, server, account, make_ens):
    bad = make_ens(ens.kind, account.access_key_id, account.access_key_secret + "x")
    err = ens_error(lambda: bad.call("DescribeNetworkInterfaces", {}))
    if ens.kind == "core":
        # aliyunsdkcore compares the server's string-to-sign (after the ':' in the message) with its
        # own and, when they match, reports the secret as wrong.
        assert err.code == "InvalidAccessKeySecret", err
    else:
        assert err.code == "SignatureDoesNotMatch", err
    assert err.status == 400, err

    unknown = make_ens(ens.kind, "LTAIe2eUnknownKey000000", account.access_key_secret)
    err = ens_error(lambda: unknown.call("DescribeNetworkInterfaces", {}))
    assert err.code == "InvalidAccessKeyId.NotFound", err
    assert err.status == 404, err
