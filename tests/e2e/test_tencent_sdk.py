"""End-to-end: tencentcloud-sdk-python (vpc + cvm) against eniplane.

The main lifecycle ends in the seed action DisassociateNetworkInterfaceSecurityGroups and a
kill -9 / restart of the server to check that the state survives.
"""

from __future__ import annotations

import ipaddress

import pytest

from e2e_support import TENCENT_ZONE, tencent_error, wait_until

TASK_TIMEOUT = 15.0


# --------------------------------------------------------------------------- helpers

def create_vpc(t, name="e2e-vpc", cidr="10.0.0.0/16") -> str:
    resp = t.vpc_call("CreateVpc", {"VpcName": name, "CidrBlock": cidr})
    vpc = resp["Vpc"]
    assert vpc["VpcId"].startswith("vpc-"), resp
    assert vpc["CidrBlock"] == cidr, resp
    assert vpc["VpcName"] == name, resp
    return vpc["VpcId"]


def create_subnet(t, vpc_id, cidr="10.0.1.0/24", zone=TENCENT_ZONE) -> str:
    resp = t.vpc_call("CreateSubnet", {"VpcId": vpc_id, "SubnetName": "e2e-subnet", "CidrBlock": cidr, "Zone": zone})
    subnet = resp["Subnet"]
    assert subnet["SubnetId"].startswith("subnet-"), resp
    assert subnet["VpcId"] == vpc_id, resp
    assert subnet["CidrBlock"] == cidr, resp
    assert subnet["Zone"] == zone, resp
    return subnet["SubnetId"]


def create_group(t, name) -> str:
    resp = t.vpc_call("CreateSecurityGroup", {"GroupName": name, "GroupDescription": f"{name} description"})
    sg = resp["SecurityGroup"]
    assert sg["SecurityGroupId"].startswith("sg-"), resp
    assert sg["SecurityGroupName"] == name, resp
    return sg["SecurityGroupId"]


def describe_instance(t, instance_id) -> dict:
    resp = t.cvm_call("DescribeInstances", {"InstanceIds": [instance_id]})
    assert resp["TotalCount"] == 1, resp
    return resp["InstanceSet"][0]


def run_instance(t, vpc_id, subnet_id, group_ids) -> str:
    resp = t.cvm_call("RunInstances", {
        "Placement": {"Zone": TENCENT_ZONE},
        "InstanceType": "S5.MEDIUM4",
        "ImageId": "img-xxxxxxxx",
        "InstanceChargeType": "POSTPAID_BY_HOUR",
        "InstanceCount": 1,
        "InstanceName": "e2e-cvm",
        "VirtualPrivateCloud": {"VpcId": vpc_id, "SubnetId": subnet_id},
        "SecurityGroupIds": group_ids,
    })
    ids = resp["InstanceIdSet"]
    assert isinstance(ids, list) and len(ids) == 1 and ids[0].startswith("ins-"), resp
    instance_id = ids[0]
    wait_until(lambda: describe_instance(t, instance_id)["InstanceState"] == "RUNNING",
               timeout=TASK_TIMEOUT, what=f"{instance_id} RUNNING")
    return instance_id


def describe_eni(t, eni_id) -> dict:
    resp = t.vpc_call("DescribeNetworkInterfaces", {"NetworkInterfaceIds": [eni_id]})
    assert resp["TotalCount"] == 1, resp
    assert len(resp["NetworkInterfaceSet"]) == 1, resp
    eni = resp["NetworkInterfaceSet"][0]
    assert eni["NetworkInterfaceId"] == eni_id, resp
    return eni


def wait_task(t, task_id) -> dict:
    def done():
        resp = t.vpc_call("DescribeVpcTaskResult", {"TaskId": task_id})
        assert resp["Status"] in ("SUCCESS", "RUNNING", "FAILED"), resp
        assert resp["Status"] != "FAILED", resp
        return resp if resp["Status"] == "SUCCESS" else None
    return wait_until(done, timeout=TASK_TIMEOUT, what=f"task {task_id} SUCCESS")


def create_eni(t, vpc_id, subnet_id, group_ids, name="e2e-eni") -> str:
    resp = t.vpc_call("CreateNetworkInterface", {
        "VpcId": vpc_id,
        "SubnetId": subnet_id,
        "NetworkInterfaceName": name,
        "NetworkInterfaceDescription": "created by the e2e tests",
        "SecurityGroupIds": group_ids,
    })
    eni = resp["NetworkInterface"]
    eni_id = eni["NetworkInterfaceId"]
    assert eni_id.startswith("eni-") and len(eni_id) == len("eni-") + 8, resp
    request_id = resp["RequestId"]
    assert request_id, resp
    wait_until(lambda: describe_eni(t, eni_id)["State"] == "AVAILABLE", timeout=TASK_TIMEOUT,
               what=f"{eni_id} AVAILABLE")
    wait_task(t, request_id)
    return eni_id


def primary_ip(eni: dict) -> str:
    primaries = [ip["PrivateIpAddress"] for ip in eni["PrivateIpAddressSet"] if ip["Primary"]]
    assert len(primaries) == 1, eni
    return primaries[0]


# --------------------------------------------------------------------------- tests

def test_eni_lifecycle_disassociate_and_durability(server, tencent):
    t = tencent
    vpc_id = create_vpc(t)
    subnet_id = create_subnet(t, vpc_id)
    sg1 = create_group(t, "e2e-sg-1")
    sg2 = create_group(t, "e2e-sg-2")
    assert sg1 != sg2

    instance_id = run_instance(t, vpc_id, subnet_id, [sg1])
    ins = describe_instance(t, instance_id)
    assert ins["Placement"]["Zone"] == TENCENT_ZONE, ins
    assert ins["InstanceType"] == "S5.MEDIUM4", ins
    assert ins["VirtualPrivateCloud"]["VpcId"] == vpc_id, ins
    assert ins["VirtualPrivateCloud"]["SubnetId"] == subnet_id, ins

    # ---- CreateNetworkInterface (async: PENDING -> AVAILABLE; the RequestId is the TaskId)
    eni_id = create_eni(t, vpc_id, subnet_id, [sg1])
    eni = describe_eni(t, eni_id)
    assert eni["VpcId"] == vpc_id, eni
    assert eni["SubnetId"] == subnet_id, eni
    assert eni["Zone"] == TENCENT_ZONE, eni
    assert eni["Primary"] is False, eni
    assert eni["GroupSet"] == [sg1], eni
    assert eni["NetworkInterfaceName"] == "e2e-eni", eni
    assert eni["MacAddress"], eni
    ip = primary_ip(eni)
    assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.0.1.0/24"), eni
    assert not (eni.get("Attachment") or {}).get("InstanceId"), eni

    # ---- AttachNetworkInterface (async)
    resp = t.vpc_call("AttachNetworkInterface", {"NetworkInterfaceId": eni_id, "InstanceId": instance_id})
    attach_task = resp["RequestId"]
    eni = wait_until(
        lambda: (lambda e: e if (e.get("Attachment") or {}).get("InstanceId") == instance_id
                 and e["State"] == "AVAILABLE" else None)(describe_eni(t, eni_id)),
        timeout=TASK_TIMEOUT, what=f"{eni_id} attached to {instance_id}")
    wait_task(t, attach_task)
    assert eni["Attachment"]["InstanceId"] == instance_id, eni
    assert isinstance(eni["Attachment"]["DeviceIndex"], int) and eni["Attachment"]["DeviceIndex"] >= 1, eni

    # the instance's ENIs are visible through the instance-id filter
    resp = t.vpc_call("DescribeNetworkInterfaces", {"Filters": [{"Name": "attachment.instance-id",
                                                                  "Values": [instance_id]}]})
    ids = {e["NetworkInterfaceId"] for e in resp["NetworkInterfaceSet"]}
    assert eni_id in ids, resp

    # ---- AssociateNetworkInterfaceSecurityGroups (second group)
    t.vpc_call("AssociateNetworkInterfaceSecurityGroups",
               {"NetworkInterfaceIds": [eni_id], "SecurityGroupIds": [sg2]})
    eni = describe_eni(t, eni_id)
    assert sorted(eni["GroupSet"]) == sorted([sg1, sg2]), eni

    # ---- DisassociateNetworkInterfaceSecurityGroups: the seed action
    resp = t.vpc_call("DisassociateNetworkInterfaceSecurityGroups",
                      {"NetworkInterfaceIds": [eni_id], "SecurityGroupIds": [sg2]})
    assert resp["RequestId"], resp
    eni = describe_eni(t, eni_id)
    assert eni["GroupSet"] == [sg1], eni
    # the attachment and addresses are untouched
    assert eni["Attachment"]["InstanceId"] == instance_id, eni
    assert primary_ip(eni) == ip, eni

    # ---- durability: kill -9 and restart on the same port and data dir
    before = describe_eni(t, eni_id)
    before_instance = describe_instance(t, instance_id)
    server.restart_after_kill9()
    after = describe_eni(t, eni_id)
    assert after["NetworkInterfaceId"] == eni_id
    assert after["GroupSet"] == [sg1], after
    assert after["Attachment"]["InstanceId"] == instance_id, after
    assert primary_ip(after) == ip, after
    assert after["State"] == "AVAILABLE", after
    assert after == before
    after_instance = describe_instance(t, instance_id)
    assert after_instance["InstanceState"] == "RUNNING", after_instance
    assert after_instance == before_instance
    # the task record survives too
    assert t.vpc_call("DescribeVpcTaskResult", {"TaskId": attach_task})["Status"] == "SUCCESS"
    # and the server keeps working after the restart
    t.vpc_call("AssociateNetworkInterfaceSecurityGroups",
               {"NetworkInterfaceIds": [eni_id], "SecurityGroupIds": [sg2]})
    assert sorted(describe_eni(t, eni_id)["GroupSet"]) == sorted([sg1, sg2])


def test_disassociate_errors(server, tencent):
    t = tencent
    vpc_id = create_vpc(t)
    subnet_id = create_subnet(t, vpc_id)
    sg1 = create_group(t, "e2e-sg-1")
    sg2 = create_group(t, "e2e-sg-2")
    eni_id = create_eni(t, vpc_id, subnet_id, [sg1, sg2])
    assert sorted(describe_eni(t, eni_id)["GroupSet"]) == sorted([sg1, sg2])

    def disassociate(enis, groups):
        return t.vpc_call("DisassociateNetworkInterfaceSecurityGroups",
                          {"NetworkInterfaceIds": enis, "SecurityGroupIds": groups})

    err = tencent_error(lambda: disassociate(["eni-bad"], [sg1]))
    assert err.get_code() == "InvalidParameterValue.Malformed", (err.get_code(), err.get_message())
    assert err.get_request_id()

    err = tencent_error(lambda: disassociate([eni_id], ["sg-bad"]))
    assert err.get_code() == "InvalidParameterValue.Malformed", (err.get_code(), err.get_message())

    err = tencent_error(lambda: disassociate(["eni-00000000"], [sg1]))
    assert err.get_code() == "ResourceNotFound", (err.get_code(), err.get_message())

    too_many = [f"eni-{i:08d}" for i in range(101)]
    err = tencent_error(lambda: disassociate(too_many, [sg1]))
    assert err.get_code() == "InvalidParameterValue.LimitExceeded", (err.get_code(), err.get_message())

    too_many_groups = [f"sg-{i:08d}" for i in range(101)]
    err = tencent_error(lambda: disassociate([eni_id], too_many_groups))
    assert err.get_code() == "InvalidParameterValue.LimitExceeded", (err.get_code(), err.get_message())

    # a batch is all or nothing: one unknown ENI fails the whole request and changes nothing
    err = tencent_error(lambda: disassociate([eni_id, "eni-00000000"], [sg2]))
    assert err.get_code() == "ResourceNotFound", (err.get_code(), err.get_message())
    assert sorted(describe_eni(t, eni_id)["GroupSet"]) == sorted([sg1, sg2])

    # a resource of another account is indistinguishable from one that does not exist
    other = server.create_account("e2e-other")
    from e2e_support import TencentClients
    o = TencentClients(server, other.access_key_id, other.access_key_secret)
    err = tencent_error(lambda: o.vpc_call("DisassociateNetworkInterfaceSecurityGroups",
                                           {"NetworkInterfaceIds": [eni_id], "SecurityGroupIds": [sg2]}))
    assert err.get_code() == "ResourceNotFound", (err.get_code(), err.get_message())
    assert sorted(describe_eni(t, eni_id)["GroupSet"]) == sorted([sg1, sg2])

    # after all the failures, the valid call still works
    disassociate([eni_id], [sg2])
    assert describe_eni(t, eni_id)["GroupSet"] == [sg1]


def test_wrong_secret_is_signature_failure(account, make_tencent):
    t = make_tencent(account.access_key_id, account.access_key_secret + "x")
    err = tencent_error(lambda: t.vpc_call("DescribeNetworkInterfaces", {}))
    assert err.get_code() == "AuthFailure.SignatureFailure", (err.get_code(), err.get_message())
    assert err.get_request_id()


def test_unknown_key_is_secret_id_not_found(account, make_tencent):
    t = make_tencent("AKIDe2eUnknownKey0000000000000000000", account.access_key_secret)
    err = tencent_error(lambda: t.vpc_call("DescribeNetworkInterfaces", {}))
    assert err.get_code() == "AuthFailure.SecretIdNotFound", (err.get_code(), err.get_message())
    assert err.get_request_id()


@pytest.mark.parametrize("req_method,sign_method", [
    ("GET", None),              # TC3-HMAC-SHA256, parameters flattened into the query string
    ("POST", "HmacSHA256"),     # legacy v1 signature, form body
    ("GET", "HmacSHA256"),      # legacy v1 signature, query string
    ("POST", "HmacSHA1"),       # legacy v1 signature with SHA1
])
def test_describe_with_other_request_modes(account, tencent, make_tencent, req_method, sign_method):
    vpc_id = create_vpc(tencent)
    subnet_id = create_subnet(tencent, vpc_id)
    sg = create_group(tencent, "e2e-sg-modes")
    eni_id = create_eni(tencent, vpc_id, subnet_id, [sg])
    expected = describe_eni(tencent, eni_id)

    t = make_tencent(account.access_key_id, account.access_key_secret,
                     req_method=req_method, sign_method=sign_method)
    # by id
    assert describe_eni(t, eni_id) == expected
    # by filter (nested list flattening: Filters.0.Name / Filters.0.Values.0)
    resp = t.vpc_call("DescribeNetworkInterfaces", {"Filters": [{"Name": "vpc-id", "Values": [vpc_id]}],
                                                    "Offset": 0, "Limit": 20})
    assert resp["TotalCount"] == 1, resp
    assert [e["NetworkInterfaceId"] for e in resp["NetworkInterfaceSet"]] == [eni_id], resp
    # a write in this mode too
    sg2 = create_group(t, "e2e-sg-modes-2")
    t.vpc_call("AssociateNetworkInterfaceSecurityGroups", {"NetworkInterfaceIds": [eni_id], "SecurityGroupIds": [sg2]})
    assert sorted(describe_eni(tencent, eni_id)["GroupSet"]) == sorted([sg, sg2])

    # a wrong secret is still caught in this mode
    bad = make_tencent(account.access_key_id, account.access_key_secret + "x",
                       req_method=req_method, sign_method=sign_method)
    err = tencent_error(lambda: bad.vpc_call("DescribeNetworkInterfaces", {}))
    assert err.get_code() == "AuthFailure.SignatureFailure", (err.get_code(), err.get_message())
