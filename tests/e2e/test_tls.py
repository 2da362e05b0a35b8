"""End-to-end: HTTPS with `eniplane serve --tls-self-signed`, and the connection limits seen by
ordinary clients.

The server creates a local CA under DATA_DIR/tls on first start and prints its path; the official
SDKs are pointed at https://127.0.0.1:PORT trusting that CA, each the way it takes a CA bundle:
  tencentcloud-sdk-python  HttpProfile(protocol="https", certification=CA)
  alibabacloud tea (ACS3)  Config(protocol="https", ca=CA)
  aliyun-python-sdk-core   AcsClient(..., verify=CA) + request.set_protocol_type("https")
Oversize bodies get the dialect's error envelope that python-requests (what the SDKs send with)
reads in full, not a connection reset.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import requests

from e2e_support import ENS_REGION, TENCENT_REGION, Server, server_binary, tencent_error

MIB = 1024 * 1024


@pytest.fixture
def tls_server(tmp_path: Path):
    srv = Server(server_binary(), tmp_path / "data", tmp_path / "server.log",
                 extra_args=["--tls-self-signed"], https=True)
    srv.start()
    yield srv
    srv.stop()


def test_the_ca_is_printed_private_and_reused(tls_server: Server):
    assert tls_server.tls_ca.is_file()
    assert str(tls_server.tls_ca) in tls_server.log_path.read_text(), "the CA path is printed"
    for name in ("ca.pem", "cert.pem", "key.pem"):
        assert (tls_server.tls_ca.parent / name).stat().st_mode & 0o777 == 0o600, name
    before = tls_server.tls_ca.read_bytes()
    tls_server.stop()
    tls_server.start()
    assert tls_server.tls_ca.read_bytes() == before, "a restart reuses the certificate"
    # Without the CA a client refuses the certificate.
    with pytest.raises(urllib.error.URLError) as info:
        urllib.request.urlopen(f"{tls_server.url}/healthz", timeout=5, context=ssl.create_default_context())
    assert isinstance(info.value.reason, ssl.SSLCertVerificationError), info.value


def test_tencent_sdk_over_https(tls_server: Server):
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.vpc.v20170312 import models, vpc_client

    account = tls_server.create_account("tls-tencent")
    hp = HttpProfile(protocol="https", endpoint=tls_server.endpoint, certification=str(tls_server.tls_ca))
    client = vpc_client.VpcClient(credential.Credential(account.access_key_id, account.access_key_secret),
                                  TENCENT_REGION, ClientProfile(httpProfile=hp, language="en-US"))
    req = models.CreateVpcRequest()
    req.from_json_string(json.dumps({"VpcName": "tls", "CidrBlock": "10.0.0.0/16"}))
    vpc_id = client.CreateVpc(req).Vpc.VpcId
    assert vpc_id.startswith("vpc-")
    described = client.DescribeVpcs(models.DescribeVpcsRequest())
    assert [v.VpcId for v in described.VpcSet] == [vpc_id]

    # An oversize body is the dialect's error, not a network error.
    big = models.CreateVpcRequest()
    big.from_json_string(json.dumps({"VpcName": "x" * (2 * MIB), "CidrBlock": "10.1.0.0/16"}))
    err = tencent_error(lambda: client.CreateVpc(big))
    assert err.code == "InvalidParameter", err
    assert "exceeds the limit" in err.message, err


def test_ens_tea_sdk_over_https(tls_server: Server):
    from alibabacloud_ens20171110 import models
    from alibabacloud_ens20171110.client import Client
    from alibabacloud_tea_openapi.models import Config

    account = tls_server.create_account("tls-tea")
    client = Client(Config(access_key_id=account.access_key_id, access_key_secret=account.access_key_secret,
                           endpoint=tls_server.endpoint, protocol="https", ca=str(tls_server.tls_ca)))
    regions = client.describe_ens_regions(models.DescribeEnsRegionsRequest()).body.to_map()
    assert ENS_REGION in json.dumps(regions), regions
    net = client.create_network(models.CreateNetworkRequest(
        ens_region_id=ENS_REGION, cidr_block="10.0.0.0/16", network_name="tls")).body.to_map()
    assert net["NetworkId"].startswith("n-"), net


def test_ens_core_sdk_over_https(tls_server: Server):
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkens.request.v20171110.DescribeEnsRegionsRequest import DescribeEnsRegionsRequest

    account = tls_server.create_account("tls-core")
    client = AcsClient(account.access_key_id, account.access_key_secret, "cn-hangzhou", verify=str(tls_server.tls_ca))
    req = DescribeEnsRegionsRequest()
    req.set_endpoint(tls_server.endpoint)
    req.set_protocol_type("https")
    body = json.loads(client.do_action_with_exception(req))
    assert "RequestId" in body and ENS_REGION in json.dumps(body), body


def test_requests_reads_the_oversize_answer_of_each_dialect(server: Server):
    """python-requests sends the whole body before it reads: the server must drain, not reset."""
    body = b" " * (6 * MIB)
    tencent = requests.post(server.url, data=body, timeout=30,
                            headers={"X-TC-Action": "DescribeVpcs", "Content-Type": "application/json"})
    assert tencent.status_code == 200
    assert tencent.json()["Response"]["Error"]["Code"] == "InvalidParameter", tencent.text
    ens = requests.post(f"{server.url}/?Version=2017-11-10&Action=DescribeEnsRegions", data=body, timeout=30)
    assert ens.status_code == 400
    assert ens.json()["Code"] == "InvalidParameter" and "RequestId" in ens.json(), ens.text
    # A form body that names the ENS version at its start, sent chunked (no Content-Length).
    chunks = iter([b"Version=2017-11-10&Action=DescribeEnsRegions&Pad=", b"a" * (3 * MIB), b"a" * (3 * MIB)])
    chunked = requests.post(server.url, data=chunks, timeout=30,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert chunked.status_code == 400 and chunked.json()["Code"] == "InvalidParameter", chunked.text
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
