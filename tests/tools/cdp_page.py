#!/usr/bin/python3
"""cdp_page.py PORT URL TOKEN SCREENSHOT: load the auditor page in a
headless Chromium over the DevTools protocol (python3-websockets), with
the auditor token as an Authorization header, wait (bounded) until the
page says it is ready, and print what its DOM shows as JSON, with every
console error and uncaught exception.  Exit 1 when the page did not get
ready."""
import asyncio
import base64
import json
import sys
import time
import urllib.request

import websockets

PORT, URL, TOKEN, SHOT = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]

PROBE = r"""(function(){
function cells(id){return Array.from(document.querySelectorAll('#'+id+' tbody tr')).map(function(r){
 return Array.from(r.cells).map(function(c){return c.textContent;});});}
return JSON.stringify({
 ready: document.body.getAttribute('data-ready'),
 error: document.getElementById('err').textContent,
 fleet: cells('fleet'),
 fleet_bad: Array.from(document.querySelectorAll('#fleet tbody tr.bad')).map(function(r){return r.cells[0].textContent;}),
 rects: document.querySelectorAll('#timeline rect').length,
 days: cells('days'),
 versions: cells('versions'),
 exceptions: cells('exceptions'),
 builds: cells('builds'),
 finding: document.getElementById('finding').textContent,
 pkg: document.getElementById('pkg').getAttribute('href')});})()"""


async def main():
    targets = json.load(urllib.request.urlopen(
        "http://127.0.0.1:%s/json/list" % PORT, timeout=10))
    page = [t for t in targets if t.get("type") == "page"][0]
    errors = []
    async with websockets.connect(page["webSocketDebuggerUrl"],
                                  max_size=None, open_timeout=10) as ws:
        seq = [0]
        pending = {}

        async def reader():
            async for msg in ws:
                m = json.loads(msg)
                if "id" in m and m["id"] in pending:
                    pending.pop(m["id"]).set_result(m)
                elif m.get("method") == "Runtime.consoleAPICalled" and \
                        m["params"]["type"] in ("error", "assert"):
                    errors.append(json.dumps(m["params"]["args"])[:300])
                elif m.get("method") == "Runtime.exceptionThrown":
                    errors.append(json.dumps(m["params"]["exceptionDetails"])[:300])
                elif m.get("method") == "Log.entryAdded" and \
                        m["params"]["entry"]["level"] == "error":
                    errors.append(m["params"]["entry"].get("text", "")[:300])

        async def call(method, **params):
            seq[0] += 1
            fut = asyncio.get_running_loop().create_future()
            pending[seq[0]] = fut
            await ws.send(json.dumps({"id": seq[0], "method": method,
                                      "params": params}))
            m = await asyncio.wait_for(fut, 20)
            if "error" in m:
                raise RuntimeError("%s: %s" % (method, m["error"]))
            return m.get("result", {})

        task = asyncio.ensure_future(reader())
        await call("Runtime.enable")
        await call("Log.enable")
        await call("Network.enable")
        await call("Page.enable")
        await call("Network.setExtraHTTPHeaders",
                   headers={"Authorization": "Bearer " + TOKEN})
        await call("Page.navigate", url=URL)
        state = {}
        deadline = time.time() + 30
        while time.time() < deadline:
            r = await call("Runtime.evaluate", expression=PROBE,
                           returnByValue=True)
            v = r.get("result", {}).get("value")
            state = json.loads(v) if v else {}
            if state.get("ready") == "1" or state.get("error"):
                break
            await asyncio.sleep(0.2)
        shot = await call("Page.captureScreenshot", format="png")
        with open(SHOT, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        task.cancel()
    state["console_errors"] = errors
    print(json.dumps(state))
    return 0 if state.get("ready") == "1" else 1


sys.exit(asyncio.run(main()))
