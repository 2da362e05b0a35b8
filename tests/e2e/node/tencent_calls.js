#!/usr/bin/env node
// Drives the official Tencent Cloud Node.js SDK against an eniplane server for the e2e tests.
//
// Usage: node tencent_calls.js '<json>'
//   json = {
//     "endpoint": "127.0.0.1:PORT",
//     "secretId": "...", "secretKey": "...",
//     "region": "ap-guangzhou",             (optional)
//     "calls": [ { "client": "vpc" | "common",   // vpc: tencentcloud-sdk-nodejs VpcClient,
//                                                 // common: tencentcloud-sdk-nodejs-common CommonClient
//                  "action": "CreateVpc",
//                  "params": { ... },
//                  "method": "POST" | "GET" } ] // optional, default POST
//   }
// Prints one JSON array on stdout, one entry per call, in order:
//   { "response": { ... } }  or  { "error": { "code", "message", "requestId", "httpCode" } }
// Exits 0 whenever every call produced one of those; non-zero only for a crash of this script.
"use strict";

const { vpc } = require("tencentcloud-sdk-nodejs/tencentcloud/services/vpc");
const { CommonClient } = require("tencentcloud-sdk-nodejs-common");

function makeClient(spec, call) {
  const config = {
    credential: { secretId: spec.secretId, secretKey: spec.secretKey },
    region: spec.region || "ap-guangzhou",
    profile: {
      language: "en-US",
      httpProfile: {
        endpoint: spec.endpoint,
        protocol: "http://",
        reqMethod: call.method || "POST",
        reqTimeout: 15,
      },
    },
  };
  if (call.client === "common") {
    return {
      invoke: (action, params) =>
        new CommonClient(spec.endpoint, "2017-03-12", config).request(action, params),
    };
  }
  if (call.client === "vpc" || call.client === undefined) {
    const client = new vpc.v20170312.Client(config);
    return {
      invoke: (action, params) => {
        if (typeof client[action] !== "function") {
          throw new Error(`VpcClient has no method ${action}`);
        }
        return client[action](params);
      },
    };
  }
  throw new Error(`unknown client ${call.client}`);
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const out = [];
  for (const call of spec.calls) {
    const client = makeClient(spec, call);
    try {
      const response = await client.invoke(call.action, call.params || {});
      out.push({ response });
    } catch (e) {
      if (e && (e.code !== undefined || e.requestId !== undefined || e.httpCode !== undefined)) {
        out.push({
          error: {
            code: e.code === undefined ? null : e.code,
            message: e.message === undefined ? null : String(e.message),
            requestId: e.requestId === undefined ? null : e.requestId,
            httpCode: e.httpCode === undefined ? null : e.httpCode,
          },
        });
      } else {
        out.push({ error: { code: null, message: String(e && e.stack ? e.stack : e), requestId: null, httpCode: null } });
      }
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(2);
});
