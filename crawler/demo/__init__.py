"""Bundled demo outlets: a local news site used for the demo and as the crawler's test site.

``DemoSite`` (see :mod:`crawler.demo.site`) serves several fictional Vietnamese outlets on
127.0.0.1 with feeds, sitemaps, paginated listings, robots.txt, varied article layouts and
deliberate faults. Nothing here touches the network beyond the loopback interface.
"""

__all__ = ["DemoSite"]


def __getattr__(name):
    if name == "DemoSite":
        from crawler.demo.site import DemoSite
        return DemoSite
    raise AttributeError(name)
