"""relay.py: what the test relays (count_proxy.py, hold_relay.py) share. Imported from
their own directory (a script's directory is on Python's path)."""
import asyncio
import os


async def pipe(reader, writer, hold=None, on_hold=None):
    """Copies reader to writer until either ends. While the file hold exists (when given),
    each piece read waits before it goes on; on_hold(bytes) is told of each piece held."""
    try:
        while data := await reader.read(65536):
            if hold and os.path.exists(hold):
                if on_hold:
                    on_hold(len(data))
                while os.path.exists(hold):
                    await asyncio.sleep(0.05)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
