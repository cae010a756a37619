"""`starcoach devices`: the audio inputs and outputs PortAudio sees, as a table."""

from __future__ import annotations

from rich.table import Table

from starcoach.commands.common import out


def devices_table() -> Table:
    from starcoach.devices.portaudio import list_devices

    table = Table(title="Audio devices", title_justify="left")
    for col in ("index", "name", "inputs", "outputs", "rate", "default"):
        table.add_column(col)
    for d in list_devices():
        default = ", ".join(x for x, on in (("input", d.get("is_default_input")), ("output", d.get("is_default_output"))) if on)
        table.add_row(str(d["index"]), d["name"], str(d["max_input_channels"]), str(d["max_output_channels"]),
                      f"{d['default_samplerate']:.0f}", default)
    return table


def run() -> None:
    out().print(devices_table())
