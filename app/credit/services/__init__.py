"""Credit records, red/black lists, objections and repair (SPEC §5; seed 001 信息管理, 红黑名单), in
three files by what their parts do, read through this one name (``services.transition``, ...):

* ``states``  the states, the transitions and who may take them, the history, the notices, objections;
* ``intake``  how records come in: 记分申请 and the feed of other modules;
* ``lists``   红黑名单 proposals and lookups, and 信用修复.
"""
from app.credit.services.states import *  # noqa: F401,F403
from app.credit.services.states import _tell_enterprise  # noqa: F401
from app.credit.services.intake import *  # noqa: F401,F403
from app.credit.services.lists import *  # noqa: F401,F403
