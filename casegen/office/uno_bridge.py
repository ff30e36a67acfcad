"""The far end of casegen's kept-alive LibreOffice (office.py): run by a Python that has
LibreOffice's UNO bridge (Debian's python3-uno), not by casegen's own interpreter, so it uses the
standard library and uno alone.

    python3 uno_bridge.py SOFFICE FOLDER PIPE_NAME

It starts LibreOffice in a process group of its own, its profile and its temporary files in
FOLDER, and says {"office": pid}. It connects over a named pipe (a socket file only this user may
connect to, where a TCP port would let any program on the machine drive the office) and says
{"ready": true}. Then it converts one request per line of standard input, {"docx": path, "pdf":
path, "options": {PDF export option: value}}, answering {"done": true} or {"error": text}. When
standard input closes (casegen ended, however it ended) it stops LibreOffice, removes FOLDER, and
leaves.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]


def _property(name, value):
    return PropertyValue(Name=name, Value=value)


def _say(message):
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


ENDING = threading.Lock()


def _end(office, folder, pipe_name, desktop=None):
    """LibreOffice and what it leaves on the disk, gone; then this process. Asked to quit first
    when it is idle (`desktop`: it then removes its own socket files), killed when that fails.
    Whichever thread gets here first does it; the other waits for the process to end."""
    ENDING.acquire()
    if desktop is not None:
        threading.Timer(3.0, _kill, args=(office,)).start()
        try:
            desktop.terminate()
            office.wait(timeout=3.0)
        except Exception:  # dead or hung: killed below
            pass
    _kill(office)
    office.wait()
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.unlink(f"/tmp/OSL_PIPE_{os.getuid()}_{pipe_name}")
    os._exit(0)


def _kill(office):
    with contextlib.suppress(OSError):
        os.killpg(office.pid, signal.SIGKILL)


def _convert(desktop, docx, pdf, options):
    document = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(docx), "_blank", 0,
        (_property("Hidden", True), _property("ReadOnly", True)))
    if document is None:
        raise RuntimeError("LibreOffice 打不开这个文档")
    try:
        # a contents field is left as written (the booklet writes its pages itself): the same
        # as the one-shot path, where soffice never updates it
        data = uno.Any("[]com.sun.star.beans.PropertyValue",
                       tuple(_property(name, value) for name, value in options.items()))
        document.storeToURL(uno.systemPathToFileUrl(pdf),
                            (_property("FilterName", "writer_pdf_Export"), _property("FilterData", data)))
    finally:
        document.close(True)


def main():
    soffice, folder, pipe_name = sys.argv[1:4]
    connection = f"pipe,name={pipe_name};urp;StarOffice.ComponentContext"
    scratch = os.path.join(folder, "tmp")  # LibreOffice's own temporary files, gone with FOLDER
    os.makedirs(scratch, exist_ok=True)
    profile = uno.systemPathToFileUrl(os.path.join(folder, "profile"))
    office = subprocess.Popen(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--invisible", "--nocrashreport",
         "--nodefault", "--nologo", "--nofirststartwizard", "--norestore", f"--accept={connection}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, TMPDIR=scratch), start_new_session=True)
    _say({"office": office.pid})

    requests = []
    arrived = threading.Condition()
    idle = {}  # the desktop, while no conversion runs: the office may then be asked to quit

    def read_requests():
        # a thread of its own: the end of input is seen even while a conversion hangs (uno lets
        # go of the interpreter lock while it waits for LibreOffice)
        for line in sys.stdin:
            with arrived:
                requests.append(json.loads(line))
                arrived.notify()
        with arrived:
            desktop = idle.get("desktop")
        _end(office, folder, pipe_name, desktop)

    threading.Thread(target=read_requests, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: _end(office, folder, pipe_name))

    try:
        _serve(office, connection, requests, arrived, idle)
    except BaseException:  # casegen gone (its pipe broken), or the office refused to start
        _end(office, folder, pipe_name)


def _serve(office, connection, requests, arrived, idle):
    """Connect to the office, say so, then convert each request as it arrives."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        if office.poll() is not None:
            _say({"error": f"LibreOffice 启动后退出（代码 {office.returncode}）"})
            raise SystemExit(1)
        try:
            context = resolver.resolve(f"uno:{connection}")
            break
        except NoConnectException:
            time.sleep(0.05)
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    _say({"ready": True})
    while True:
        with arrived:
            idle["desktop"] = desktop
            while not requests:
                arrived.wait()
            request = requests.pop(0)
            idle.clear()
        try:
            _convert(desktop, request["docx"], request["pdf"], request.get("options", {}))
            reply = {"done": True}
        except Exception as e:  # the office died or refused: casegen decides what next
            reply = {"error": f"{type(e).__name__}: {str(e).strip()[:300]}"}
        _say(reply)

if __name__ == "__main__":
    main()
