"""(being built for issue 15)"""


def register(appbuilder):
    return None
