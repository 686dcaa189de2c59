"""Signs requests with botocore (an implementation this project did not write) at a fixed clock.

stdin: a JSON list of jobs, each
  {"kind": "header" | "query", "method", "url", "headers": {name: value}, "body": base64,
   "region", "service", "accessKeyId", "secretAccessKey", "sessionToken"?, "timestamp": "YYYYMMDDTHHMMSSZ",
   "expires"? (query)}
stdout: a JSON list of {"headers": {...}, "url": ...} as botocore left each request after add_auth.
"""
import base64
import datetime
import json
import sys

import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(job):
    fixed = datetime.datetime.strptime(job["timestamp"], "%Y%m%dT%H%M%SZ")
    # botocore.auth reads the clock through this module-level name
    botocore.auth.get_current_datetime = lambda: fixed
    creds = Credentials(job["accessKeyId"], job["secretAccessKey"], job.get("sessionToken"))
    request = AWSRequest(method=job["method"], url=job["url"], headers=job["headers"], data=base64.b64decode(job.get("body", "")))
    if job["kind"] == "query":
        SigV4QueryAuth(creds, job["service"], job["region"], expires=job["expires"]).add_auth(request)
    else:
        SigV4Auth(creds, job["service"], job["region"]).add_auth(request)
    return {"headers": dict(request.headers.items()), "url": request.url}


print(json.dumps([sign(job) for job in json.load(sys.stdin)]))
