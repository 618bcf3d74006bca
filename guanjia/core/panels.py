"""Cards a page of one app shows from another app of the same layer (which it may not
import): the page iterates its slot, the other app registers in its AppConfig.ready().

`lead_detail`: `(request, lead) -> str` (HTML, already escaped; "" for nothing): the lead
page's further cards (parks: the matching land, 匹配地块).
"""

from collections.abc import Callable
from typing import Any

from .hooks import Hooks

lead_detail: Hooks[Callable[[Any, Any], str]] = Hooks("core.panels.lead_detail")
