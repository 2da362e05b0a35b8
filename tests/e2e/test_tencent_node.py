"""End-to-end: the official Tencent Cloud Node.js SDK against eniplane.

The Node SDK signs TC3 with the credential-scope service taken from the endpoint's first DNS label
("127" for 127.0.0.1:PORT) and the Host *without* the port; the server must accept that.
Driven through node/tencent_calls.js (VpcClient from tencentcloud-sdk-nodejs, CommonClient from
tencentcloud-sdk-nodejs-common).
"""

from __future__ import annotations

from e2e_support import run_node


def calls(server, account, *calls, secret=None):
    spec = {
        "endpoint": server.endpoint,
        "secretId": account.access_key_id,
        "secretKey": secret if secret is not None else account.access_key_secret,
        "region": "ap-guangzhou",
        "calls": list(calls),
    }
    out = run_node(spec)
    assert len(out) == len(calls), out
    return out


def ok(entry):
    assert "response" in entry, entry
    return entry["response"]


def test_node_create_and_describe_vpcs(server, account):
    [created] = calls(server, account, {"client": "vpc", "action": "CreateVpc",
                                        "params": {"VpcName": "node-vpc", "CidrBlock": "10.0.0.0/16"}})
    vpc = ok(created)["Vpc"]
    assert vpc["VpcId"].startswith("vpc-"), created
    assert vpc["VpcName"] == "node-vpc", created
    assert vpc["CidrBlock"] == "10.0.0.0/16", created

    by_id, by_get, listed, common = calls(
        server, account,
        {"client": "vpc", "action": "DescribeVpcs", "params": {"VpcIds": [vpc["VpcId"]]}},
        {"client": "vpc", "action": "DescribeVpcs", "params": {"VpcIds": [vpc["VpcId"]]}, "method": "GET"},
        {"client": "vpc", "action": "DescribeVpcs", "params": {}},
        {"client": "common", "action": "DescribeNetworkInterfaces", "params": {"Limit": 20}},
    )
    for entry in (by_id, by_get):
        resp = ok(entry)
        assert resp["TotalCount"] == 1, resp
        assert resp["VpcSet"][0]["VpcId"] == vpc["VpcId"], resp
        assert resp["VpcSet"][0]["CidrBlock"] == "10.0.0.0/16", resp
        assert resp["RequestId"], resp
    assert vpc["VpcId"] in [v["VpcId"] for v in ok(listed)["VpcSet"]], listed
    resp = ok(common)
    assert resp["TotalCount"] == 0 and resp["NetworkInterfaceSet"] == [], resp


def test_node_errors(server, account):
    [bad_sig] = calls(server, account, {"client": "vpc", "action": "DescribeVpcs", "params": {}},
                      secret=account.access_key_secret + "x")
    assert "error" in bad_sig, bad_sig
    assert bad_sig["error"]["code"] == "AuthFailure.SignatureFailure", bad_sig
    assert bad_sig["error"]["requestId"], bad_sig

    [malformed] = calls(server, account, {
        "client": "vpc", "action": "DisassociateNetworkInterfaceSecurityGroups",
        "params": {"NetworkInterfaceIds": ["eni-bad"], "SecurityGroupIds": ["sg-12345678"]}})
    assert "error" in malformed, malformed
    assert malformed["error"]["code"] == "InvalidParameterValue.Malformed", malformed
