"""End-to-end: the official Tencent Cloud CLI (tccli) against eniplane over plain HTTP.

tccli prints the inner `Response` object as JSON on stdout and exits 0; on an API error it prints
`[TencentCloudSDKException] code:<Code> message:<...> requestId:<...>` on stderr and exits non-zero.
"""

from __future__ import annotations

import json
import os
import subprocess

from e2e_support import TENCENT_REGION, venv_tool


def tccli(server, account, home, *args, secret=None, check=True):
    cmd = [str(venv_tool("tccli")), *args,
           "--secretId", account.access_key_id,
           "--secretKey", secret if secret is not None else account.access_key_secret,
           "--region", TENCENT_REGION,
           "--endpoint", server.url,
           "--output", "json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
    env["HOME"] = str(home)
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    if check:
        assert res.returncode == 0, f"tccli {' '.join(args)} exited {res.returncode}\n{res.stdout}\n{res.stderr}"
        return json.loads(res.stdout)
    return res


def test_tccli_create_and_describe(server, account, cli_home):
    created = tccli(server, account, cli_home, "vpc", "CreateVpc", "--VpcName", "x", "--CidrBlock", "10.0.0.0/16")
    vpc = created["Vpc"]
    assert vpc["VpcId"].startswith("vpc-"), created
    assert vpc["VpcName"] == "x", created
    assert vpc["CidrBlock"] == "10.0.0.0/16", created
    assert created["RequestId"], created

    described = tccli(server, account, cli_home, "vpc", "DescribeVpcs", "--VpcIds", json.dumps([vpc["VpcId"]]))
    assert described["TotalCount"] == 1, described
    assert described["VpcSet"][0]["VpcId"] == vpc["VpcId"], described
    assert described["VpcSet"][0]["CidrBlock"] == "10.0.0.0/16", described

    enis = tccli(server, account, cli_home, "vpc", "DescribeNetworkInterfaces")
    assert enis["TotalCount"] == 0, enis
    assert enis["NetworkInterfaceSet"] == [], enis
    assert enis["RequestId"], enis

    # filters are passed as JSON
    enis = tccli(server, account, cli_home, "vpc", "DescribeNetworkInterfaces",
                 "--Filters", json.dumps([{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]), "--Limit", "20")
    assert enis["TotalCount"] == 0, enis


def test_tccli_disassociate_and_errors(server, account, cli_home):
    vpc_id = tccli(server, account, cli_home, "vpc", "CreateVpc", "--VpcName", "v", "--CidrBlock",
                   "10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = tccli(server, account, cli_home, "vpc", "CreateSubnet", "--VpcId", vpc_id, "--SubnetName", "s",
                      "--CidrBlock", "10.0.1.0/24", "--Zone", "ap-guangzhou-3")["Subnet"]["SubnetId"]
    sg1 = tccli(server, account, cli_home, "vpc", "CreateSecurityGroup", "--GroupName", "g1",
                "--GroupDescription", "g1")["SecurityGroup"]["SecurityGroupId"]
    sg2 = tccli(server, account, cli_home, "vpc", "CreateSecurityGroup", "--GroupName", "g2",
                "--GroupDescription", "g2")["SecurityGroup"]["SecurityGroupId"]
    eni_id = tccli(server, account, cli_home, "vpc", "CreateNetworkInterface", "--VpcId", vpc_id,
                   "--SubnetId", subnet_id, "--NetworkInterfaceName", "e",
                   "--SecurityGroupIds", json.dumps([sg1, sg2]))["NetworkInterface"]["NetworkInterfaceId"]

    out = tccli(server, account, cli_home, "vpc", "DisassociateNetworkInterfaceSecurityGroups",
                "--NetworkInterfaceIds", json.dumps([eni_id]), "--SecurityGroupIds", json.dumps([sg2]))
    assert out["RequestId"], out
    described = tccli(server, account, cli_home, "vpc", "DescribeNetworkInterfaces",
                      "--NetworkInterfaceIds", json.dumps([eni_id]))
    assert described["TotalCount"] == 1, described
    assert described["NetworkInterfaceSet"][0]["GroupSet"] == [sg1], described

    res = tccli(server, account, cli_home, "vpc", "DisassociateNetworkInterfaceSecurityGroups",
                "--NetworkInterfaceIds", json.dumps(["eni-bad"]), "--SecurityGroupIds", json.dumps([sg1]),
                check=False)
    assert res.returncode != 0, res
    assert "code:InvalidParameterValue.Malformed" in res.stderr, res.stderr

    res = tccli(server, account, cli_home, "vpc", "DescribeNetworkInterfaces", secret="wrong-secret", check=False)
    assert res.returncode != 0, res
    assert "code:AuthFailure.SignatureFailure" in res.stderr, res.stderr
