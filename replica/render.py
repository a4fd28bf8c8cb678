"""HTML of the replica: JNews/WordPress markup as docs/site.md describes it.

An article's variant flags (``replica.model``'s docstring lists them) choose its page's
shape: the SEO plugin's head (Yoast's graph; All in One SEO's, whose JSON-LD dates carry
the UTC clock time with the local offset while ``article:published_time`` is right; Rank
Math's, whose ``keywords`` is the focus keyword and which writes ``article:section``), the
theme's own JSON-LD as real JNews sites emit it (``"@type": "article"``, ``datePublished``
in Rome local time and ``dateModified`` in GMT, both without an offset), titles ending in
" - Alanews" in og:title and the graph's headline, JNews template 1, template 2 or a custom
(Elementor) template, author boxes (JNews's after the content, Molongui's inside it),
newsletter and comment call-outs in the content, the video post format's player in the
featured slot (with a JSON-LD VideoObject on some), captions as ``p.wp-caption-text``,
``figcaption`` or ``.featured_caption``, text with ``&`` escapes, and (in the served bytes,
:func:`article_bytes`) one stray windows-1252 byte.
"""
from __future__ import annotations

import hashlib
import html
import json
import random
import re
from datetime import timezone
from functools import lru_cache

from .model import CATEGORIES, CATEGORY_NAMES, TODAY, UTM_QUERY, Article, Site, fmt_std, fmt_top_date

PER_PAGE = 10
UTC = timezone.utc
SITE_NAME = "Alanews"
SITE_DESC = "Agenzia di stampa video e multimediale"

COPYRIGHT = ("© 2026 Alanews – Smart Media Solutions - Testata giornalistica registrata al tribunale di Roma "
             "n° 243/2012 | Gestione editoriale e multimediale Editorially Srl - Via Assisi 21 - 00181 Roma - "
             "P.Iva: 16947451007 | Per la pubblicità: NewsCom S.r.l. – Divisione Testate on line - Sede legale: "
             "Via Assisi, 15 - 00181 Roma Capitale sociale: Euro 10.000,00 Codice Fiscale, Partita I.V.A. e "
             "Iscrizione al Registro delle Imprese di Roma n. 11903571005 | R.E.A. di Roma: 1335869 Visiona le "
             "nostre ")

_TEXTURIZE = {"“": "&#8220;", "”": "&#8221;", "’": "&#8217;", "‘": "&#8216;", "–": "&#8211;",
              "—": "&#8212;", "…": "&#8230;"}


def t(text: str) -> str:
    """Text node the way WordPress prints it (wptexturize entities, &amp;)."""
    s = html.escape(text, quote=False)
    for k, v in _TEXTURIZE.items():
        s = s.replace(k, v)
    return s


def a_(text: str) -> str:
    """Attribute value."""
    return html.escape(text, quote=True)


def cat_url(base: str, path: str) -> str:
    return f"{base}/category/{path}/"


def cat_slug(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def listing_url(base: str, path: str, page: int) -> str:
    return cat_url(base, path) if page <= 1 else f"{base}/category/{path}/page/{page}/"


def related_href(base: str, target: Article, style: str) -> str:
    u = target.url(base)
    if style in ("utm", "utm+respond"):
        u += UTM_QUERY
    if style in ("respond", "utm+respond"):
        u += "#respond"
    return u


def utc_iso(dt) -> str:
    return dt.astimezone(UTC).isoformat()


def jnews_json(obj) -> str:
    """PHP json_encode defaults: \\/ and \\uXXXX escapes."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


# ------------------------------------------------------------ filler (cached)
@lru_cache(maxsize=None)
def filler_css() -> str:
    r = random.Random(20260129)
    parts = ["jeg", "post", "meta", "block", "heading", "thumb", "nav", "menu", "sidebar", "footer",
             "hero", "cat", "share", "ad", "popup", "search", "mobile", "sticky", "wrapper", "inner",
             "title", "content", "pagination", "readmore", "excerpt", "caption", "social", "icon"]
    props = ["margin", "padding", "font-size", "line-height", "color", "background", "border",
             "width", "max-width", "height", "display", "position", "top", "left", "z-index",
             "letter-spacing", "text-transform", "opacity", "transition", "font-weight"]
    vals = {"color": lambda: "#%06x" % r.randrange(1 << 24), "background": lambda: "#%06x" % r.randrange(1 << 24),
            "display": lambda: r.choice(["block", "inline-block", "flex", "none", "table"]),
            "position": lambda: r.choice(["relative", "absolute", "fixed", "static"]),
            "text-transform": lambda: r.choice(["uppercase", "none", "capitalize"]),
            "transition": lambda: f"all .{r.randint(1, 5)}s ease",
            "border": lambda: f"{r.randint(0, 3)}px solid #{r.randrange(1 << 24):06x}",
            "opacity": lambda: f".{r.randint(1, 9)}", "font-weight": lambda: str(r.choice([400, 500, 700]))}
    out = []
    for _ in range(430):
        sel = ",".join(
            " ".join("." + "_".join(r.sample(parts, r.randint(2, 4))) for _ in range(r.randint(1, 3)))
            for _ in range(r.randint(1, 2)))
        decl = ";".join(f"{p}:{vals[p]() if p in vals else str(r.randint(0, 40)) + 'px'}"
                        for p in r.sample(props, r.randint(2, 6)))
        out.append(sel + "{" + decl + "}")
        if r.random() < 0.05:
            out.append(f"@media only screen and (max-width:{r.choice([480, 767, 1024])}px){{"
                       + sel + "{display:none}}")
    return "\n".join(out)


@lru_cache(maxsize=None)
def filler_js() -> str:
    r = random.Random(1129)
    fns = []
    names = ["init", "lazy", "sticky", "popup", "share", "menu", "search", "ajax", "hero", "slider",
             "resize", "scroll", "tab", "video", "gallery", "cookie", "ads", "analytics"]
    for k in range(115):
        n = "_".join(r.sample(names, 2)) + str(k)
        body = ";".join(
            r.choice([
                f"var {chr(97 + j)}=e.find('.jeg_{r.choice(names)}')",
                f"if({chr(97 + j)}.length>{r.randint(0, 9)}){{{chr(97 + j)}.addClass('jeg_{r.choice(names)}_active')}}",
                f"t.{r.choice(names)}=function(x){{return x&&x.length?x[0]:null}}",
                f"jQuery(window).on('{r.choice(['scroll', 'resize', 'load'])}',function(){{t.{r.choice(names)}()}})",
            ]) for j in range(r.randint(3, 8)))
        fns.append(f"t.{n}=function(e){{{body}}};")
    return "(function($,t){'use strict';" + "".join(fns) + "})(jQuery,window.jnews=window.jnews||{});"


def theme_config(base: str, post_id: int | None) -> str:
    cfg = {"ajax_url": "/?ajax-request=jnews", "login_reload": base + "/", "popup_script": "magnific",
           "single_gallery": False, "ismobile": False, "isie": False, "sidefeed_ajax": False,
           "language": "it_IT", "module_prefix": "jnews_module_ajax_", "live_search": True,
           "postid": post_id or 0, "isblog": post_id is not None, "admin_bar": 0,
           "follow_video": False, "follow_position": "top_right", "rtl": 0, "gif": "",
           "lang": {"invalid_recaptcha": "Invalid Recaptcha!", "empty_username": "Please enter your username!",
                    "empty_email": "Please enter your email!", "empty_password": "Please enter your password!"},
           "site_slug": "/", "site_domain": base.split("//", 1)[-1]}
    return "var jnewsoption = " + json.dumps(cfg) + ";"


# ------------------------------------------------------------ common chrome
def _menu_items(base: str, sub: bool = True, prefix: str = "menu-item") -> str:
    out = []
    mid = 120
    for path, name in CATEGORIES.items():
        mid += 7
        if path == "sport/calcio" and sub:
            continue
        if path == "sport" and sub:
            out.append(
                f'<li id="{prefix}-{mid}" class="menu-item menu-item-type-taxonomy menu-item-object-category '
                f'menu-item-has-children menu-item-{mid}"><a href="{cat_url(base, path)}">{t(name)}</a>\n'
                f'<ul class="sub-menu">\n\t<li id="{prefix}-{mid + 1}" class="menu-item menu-item-type-taxonomy '
                f'menu-item-object-category menu-item-{mid + 1}"><a href="{cat_url(base, "sport/calcio")}">Calcio</a></li>\n'
                f'</ul>\n</li>')
            continue
        out.append(f'<li id="{prefix}-{mid}" class="menu-item menu-item-type-taxonomy menu-item-object-category '
                   f'menu-item-{mid}"><a href="{cat_url(base, path)}">{t(name)}</a></li>')
    return "\n".join(out)


def _search_form(base: str) -> str:
    return (f'<form action="{base}/" method="get" class="jeg_search_form" target="_top">\n'
            f'    <input name="s" class="jeg_search_input" placeholder="Search..." type="text" value="" autocomplete="off">\n'
            f'    <button aria-label="Search Button" type="submit" class="jeg_search_button btn"><i class="fa fa-search"></i></button>\n'
            f'</form>\n<!-- jeg_search_hide with_result no_result -->\n'
            f'<div class="jeg_search_result jeg_search_hide with_result">\n'
            f'    <div class="search-result-wrapper">\n    </div>\n'
            f'    <div class="search-link search-noresult">\n        No Result    </div>\n'
            f'    <div class="search-link search-all-button">\n        <i class="fa fa-search"></i> View All Result    </div>\n</div>')


def header(base: str) -> str:
    logo = (f'<div class="jeg_logo jeg_desktop_logo">\n\t\t\t<a href="{base}/" style="padding: 0 0 0 0;">\n'
            f'\t\t\t\t<img class=\'jeg_logo_img\' src="{base}/wp-content/uploads/2021/03/logo-alanews.png" '
            f'srcset="{base}/wp-content/uploads/2021/03/logo-alanews.png 1x, {base}/wp-content/uploads/2021/03/logo-alanews@2x.png 2x" '
            f'alt="Alanews"data-light-src="{base}/wp-content/uploads/2021/03/logo-alanews.png" '
            f'data-light-srcset="{base}/wp-content/uploads/2021/03/logo-alanews.png 1x" data-dark-src="" data-dark-srcset="" width="260" height="60">\t\t\t</a>\n\t\t</div>')
    top = (f'<div class="jeg_topbar jeg_container jeg_navbar_wrapper dark">\n<div class="container">\n<div class="jeg_nav_row">\n'
           f'<div class="jeg_nav_col jeg_nav_left  jeg_nav_grow"><div class="item_wrap jeg_nav_alignleft">\n'
           f'<div class="jeg_nav_item">\n\t<ul class="jeg_menu jeg_top_menu"><li id="menu-item-98" class="menu-item menu-item-type-post_type menu-item-object-page menu-item-98">'
           f'<a href="{base}/chi-siamo/">Chi siamo</a></li>\n<li id="menu-item-99" class="menu-item menu-item-type-post_type menu-item-object-page menu-item-99">'
           f'<a href="{base}/redazione/">Redazione</a></li>\n</ul></div></div></div>\n'
           f'<div class="jeg_nav_col jeg_nav_center  jeg_nav_normal"><div class="item_wrap jeg_nav_aligncenter"></div></div>\n'
           f'<div class="jeg_nav_col jeg_nav_right  jeg_nav_normal"><div class="item_wrap jeg_nav_alignright">\n'
           f'<div class="jeg_nav_item jeg_top_date">\n    {fmt_top_date(TODAY)}</div>'
           f'<div class="jeg_nav_item jeg_nav_account">\n    <ul class="jeg_accountlink jeg_menu">\n'
           f'        <li><a href="#jeg_loginform" aria-label="Login popup button" class="jeg_popuplink"><i class="fa fa-lock"></i> Login</a></li>\n'
           f'    </ul>\n</div></div></div>\n</div>\n</div>\n</div>')
    main = (f'<div class="jeg_midbar jeg_container jeg_navbar_wrapper normal">\n<div class="container">\n<div class="jeg_nav_row">\n'
            f'<div class="jeg_nav_col jeg_nav_left jeg_nav_normal"><div class="item_wrap jeg_nav_alignleft">\n'
            f'<div class="jeg_nav_item jeg_logo jeg_desktop_logo">{logo}</div></div></div>\n'
            f'<div class="jeg_nav_col jeg_nav_right jeg_nav_grow"><div class="item_wrap jeg_nav_alignright">\n'
            f'<div class="jeg_nav_item jeg_ad jeg_ad_top jnews_header_ads"><div class="ads-wrapper  ">'
            f'<div class="ads_code"><script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js?client=ca-pub-8765432101234567"></script>'
            f'<ins class="adsbygoogle" style="display:inline-block;width:728px;height:90px" data-ad-client="ca-pub-8765432101234567" data-ad-slot="1234567890"></ins>'
            f'<script>(adsbygoogle = window.adsbygoogle || []).push({{}});</script></div></div></div>'
            f'</div></div>\n</div>\n</div>\n</div>\n'
            f'<div class="jeg_bottombar jeg_navbar jeg_container jeg_navbar_wrapper jeg_navbar_normal jeg_navbar_normal">\n'
            f'<div class="container">\n<div class="jeg_nav_row">\n<div class="jeg_nav_col jeg_nav_left jeg_nav_grow">'
            f'<div class="item_wrap jeg_nav_alignleft">\n<div class="jeg_nav_item jeg_main_menu_wrapper">\n'
            f'<div class="jeg_mainmenu_wrap"><ul class="jeg_menu jeg_main_menu jeg_menu_style_1" data-animation="animate">'
            f'{_menu_items(base)}</ul></div></div>\n</div></div>\n'
            f'<div class="jeg_nav_col jeg_nav_right jeg_nav_normal"><div class="item_wrap jeg_nav_alignright">\n'
            f'<div class="jeg_nav_item jeg_search_wrapper search_icon jeg_search_popup_expand">\n'
            f'    <a href="#" class="jeg_search_toggle" aria-label="Search Button"><i class="fa fa-search"></i></a>\n'
            f'    {_search_form(base)}\n</div></div></div>\n</div>\n</div>\n</div>')
    sticky = (f'<div class="jeg_navbar_wrapper jeg_sticky_nav">\n<div class="sticky_blankspace"></div>\n'
              f'<div class="jeg_navbar jeg_navbar_wrapper jeg_navbar_fitwidth jeg_navbar_normal">\n<div class="container">\n'
              f'<div class="jeg_nav_row">\n<div class="jeg_nav_col jeg_nav_left jeg_nav_grow"><div class="item_wrap jeg_nav_alignleft">\n'
              f'<div class="jeg_nav_item jeg_main_menu_wrapper"><div class="jeg_mainmenu_wrap">'
              f'<ul class="jeg_menu jeg_main_menu jeg_menu_style_1" data-animation="animate">{_menu_items(base, prefix="sticky-menu-item")}</ul>'
              f'</div></div>\n</div></div>\n<div class="jeg_nav_col jeg_nav_right jeg_nav_normal"><div class="item_wrap jeg_nav_alignright">\n'
              f'<div class="jeg_nav_item jeg_search_wrapper search_icon jeg_search_popup_expand">\n'
              f'    <a href="#" class="jeg_search_toggle"><i class="fa fa-search"></i></a>\n    {_search_form(base)}\n</div>'
              f'<div class="jeg_nav_item jeg_nav_account">\n    <ul class="jeg_accountlink jeg_menu">\n'
              f'        <li><a href="#jeg_loginform" class="jeg_popuplink"><i class="fa fa-lock"></i> Login</a></li>\n    </ul>\n</div>'
              f'</div></div>\n</div>\n</div>\n</div>\n</div>')
    mobile = (f'<div class="jeg_navbar_mobile_wrapper">\n<div class="jeg_navbar_mobile" data-mode="scroll">\n'
              f'<div class="jeg_mobile_bottombar jeg_mobile_midbar jeg_container dark">\n<div class="container">\n<div class="jeg_nav_row">\n'
              f'<div class="jeg_nav_col jeg_nav_left jeg_nav_normal"><div class="item_wrap jeg_nav_alignleft">\n'
              f'<div class="jeg_nav_item"><a href="#" class="toggle_btn jeg_mobile_toggle"><i class="fa fa-bars"></i></a></div></div></div>\n'
              f'<div class="jeg_nav_col jeg_nav_center jeg_nav_grow"><div class="item_wrap jeg_nav_aligncenter">\n'
              f'<div class="jeg_nav_item"><div class="jeg_mobile_logo"><a href="{base}/"><img class=\'jeg_logo_img\' '
              f'src="{base}/wp-content/uploads/2021/03/logo-alanews-mobile.png" alt="Alanews" width="180" height="40"></a></div></div>'
              f'</div></div>\n<div class="jeg_nav_col jeg_nav_right jeg_nav_normal"><div class="item_wrap jeg_nav_alignright">\n'
              f'<div class="jeg_nav_item jeg_search_wrapper jeg_search_popup_expand">\n    <a href="#" class="jeg_search_toggle"><i class="fa fa-search"></i></a>\n'
              f'    {_search_form(base)}\n</div></div></div>\n</div>\n</div>\n</div>\n</div>\n'
              f'<div class="sticky_blankspace" style="height: 60px;"></div>\n</div>')
    return (f'<div class="jeg_ad jeg_ad_top jnews_header_top_ads">\n<div class=\'ads-wrapper  \'></div></div>\n'
            f'<!-- The Main Wrapper\n============================================= -->\n<div class="jeg_viewport">\n'
            f'<div class="jeg_header_wrapper">\n<div class="jeg_header_instagram_wrapper">\n</div>\n'
            f'<!-- HEADER -->\n<div class="jeg_header normal">\n{top}\n{main}\n</div><!-- /.jeg_header -->\n</div>\n'
            f'<div class="jeg_header_sticky">\n{sticky}\n</div>\n{mobile}\n')


def sidebar(site: Site, base: str) -> str:
    recent = "\n".join(f'\t\t\t\t\t<li>\n\t\t\t\t\t<a href="{a.url(base)}">{t(a.title)}</a>\n\t\t\t\t\t\t\t\t\t</li>'
                       for a in site.articles[:5])
    return (f'<div class="jeg_sidebar left jeg_sticky_sidebar col-sm-4">\n<div class="jegStickyHolder"><div class="theiaStickySidebar">'
            f'<div class="widget widget_jnews_module_element_ads" id="jnews_module_element_ads-2"><div class="jeg_ad jeg_ad_module jnews_module_1234">'
            f'<div class="ads-wrapper"><div class=\'ads_code\'><ins class="adsbygoogle" style="display:inline-block;width:300px;height:250px" '
            f'data-ad-client="ca-pub-8765432101234567" data-ad-slot="2345678901"></ins>\n<script>\n     (adsbygoogle = window.adsbygoogle || []).push({{}});\n</script></div>'
            f'<div class="ads-text">Pubblicità</div></div></div></div>\n'
            f'\t\t<div class="widget widget_recent_entries" id="recent-posts-2">\n\t\t<div class="jeg_block_heading jeg_block_heading_6 jnews_module_9876_0">'
            f'<h3 class="jeg_block_title"><span>Articoli recenti</span></h3></div>\n\t\t<ul>\n{recent}\n\t\t\t\t\t</ul>\n\n\t\t</div>'
            f'<div class="widget widget_jnews_module_element_ads" id="jnews_module_element_ads-3"><div class="jeg_ad jeg_ad_module jnews_module_5678">'
            f'<div class="ads-wrapper"><div class=\'ads_code\'><div id="div-gpt-ad-1612345678901-0" style="min-width: 300px; min-height: 600px;">'
            f'<script>googletag.cmd.push(function() {{ googletag.display(\'div-gpt-ad-1612345678901-0\'); }});</script></div></div></div></div></div>'
            f'</div></div></div>')


def _copyright(base: str) -> str:
    return (f'{t(COPYRIGHT)}<a href="{base}/condizioni-duso/">condizioni d&#8217;uso</a> e la nostra '
            f'<a href="{base}/privacy-policy/">politica sulla privacy &amp; cookies</a>.')


def footer(base: str) -> str:
    copy = _copyright(base)
    return (f'<div class="footer-holder" id="footer" data-id="footer">\n<div class="jeg_footer jeg_footer_1 dark">\n'
            f'<div class="jeg_footer_container jeg_container">\n<div class="jeg_footer_content">\n<div class="container">\n'
            f'<div class="row">\n<div class="jeg_footer_primary clearfix">\n<div class="col-md-12 footer_column">\n'
            f'<div class="footer_widget widget_text" id="text-2"><div class="textwidget"></div></div></div>\n</div>\n</div>\n'
            f'<div class="jeg_footer_secondary clearfix">\n<div class="footer_right"><ul class="jeg_menu_footer"></ul></div>\n'
            f'<p class="copyright"> {copy} </p>\n</div>\n</div>\n</div>\n</div>\n</div><!-- /.footer -->\n</div>\n'
            f'</div>\n<!-- /.jeg_viewport -->\n')


def mobile_drawer(base: str) -> str:
    return (f'<div id="jeg_off_canvas" class="normal">\n<a href="#" class="jeg_menu_close"><i class="jegicon-cross"></i></a>\n'
            f'<div class="jeg_bg_overlay"></div>\n<div class="jeg_mobile_wrapper">\n<div class="nav_wrap">\n'
            f'<div class="item_main">\n<div class="jeg_aside_item jeg_search_wrapper jeg_search_no_expand square">\n'
            f'    <a href="#" class="jeg_search_toggle"><i class="fa fa-search"></i></a>\n    {_search_form(base)}\n</div>'
            f'<div class="jeg_aside_item">\n<ul class="jeg_mobile_menu">{_menu_items(base, sub=False, prefix="mobile-menu-item")}\n'
            f'<li id="menu-item-98" class="menu-item menu-item-type-post_type menu-item-object-page menu-item-98"><a href="{base}/chi-siamo/">Chi siamo</a></li>\n'
            f'<li id="menu-item-99" class="menu-item menu-item-type-post_type menu-item-object-page menu-item-99"><a href="{base}/redazione/">Redazione</a></li>\n'
            f'</ul></div></div>\n<div class="item_bottom">\n<div class="jeg_aside_item socials_widget nobg">\n'
            f'<a href="https://www.facebook.com/alanews.it" target=\'_blank\' rel=\'external noopener nofollow\' class="jeg_facebook"><i class="fa fa-facebook"></i> </a>'
            f'<a href="https://twitter.com/alanews" target=\'_blank\' rel=\'external noopener nofollow\' class="jeg_twitter"><i class="fa fa-twitter"></i> </a>'
            f'<a href="https://www.youtube.com/user/alanewsvideo" target=\'_blank\' rel=\'external noopener nofollow\' class="jeg_youtube"><i class="fa fa-youtube-play"></i> </a>'
            f'</div><div class="jeg_aside_item jeg_aside_copyright">\n<p>{_copyright(base)}</p>\n</div></div>\n</div>\n</div>\n</div>')


def login_popup(base: str) -> str:
    return ('<div id="jeg_loginform" class="jeg_popup mfp-with-anim mfp-hide">\n<div class="jeg_popupform jeg_popup_account">\n'
            '<form action="#" data-type="login" method="post" accept-charset="utf-8">\n<h3>Welcome Back!</h3>\n'
            '<p>Login to your account below</p>\n<!-- Form Messages -->\n<div class="form-message"></div>\n'
            '<p class="input_field">\n<input type="text" name="username" placeholder="Username" value="">\n</p>\n'
            '<p class="input_field">\n<input type="password" name="password" placeholder="Password" value="">\n</p>\n'
            '<p class="input_field remember_me">\n<input type="checkbox" id="remember_me" name="remember_me" value="true">\n'
            '<label for="remember_me">Remember Me</label>\n</p>\n<p class="submit">\n<input type="hidden" name="action" value="login_handler">\n'
            '<input type="hidden" name="jnews_nonce" value="a1b2c3d4e5">\n<input type="submit" name="jeg_login_button" class="button" value="Log In" data-process="Processing . . ." data-string="Log In">\n'
            '</p>\n<div class="bottom_links clearfix">\n<a href="#jeg_forgotform" class="jeg_popuplink forgot">Forgotten Password?</a>\n'
            '</div>\n</form>\n</div>\n</div>\n'
            '<div id="jeg_forgotform" class="jeg_popup mfp-with-anim mfp-hide">\n<div class="jeg_popupform jeg_popup_account">\n'
            '<form action="#" data-type="forgot" method="post" accept-charset="utf-8">\n<h3>Retrieve your password</h3>\n'
            '<p>Please enter your username or email address to reset your password.</p>\n<div class="form-message"></div>\n'
            '<p class="input_field">\n<input type="text" name="user_login" placeholder="Your email or username" size="20" value="">\n</p>\n'
            '<p class="submit">\n<input type="hidden" name="action" value="forget_password_handler">\n'
            '<input type="submit" name="jeg_login_button" class="button" value="Reset Password" data-process="Processing . . ." data-string="Reset Password">\n'
            '</p>\n<div class="bottom_links clearfix">\n<a href="#jeg_loginform" class="jeg_popuplink"><i class="fa fa-angle-left"></i> Log In</a>\n'
            '</div>\n</form>\n</div>\n</div>')


def head_assets(base: str) -> str:
    return (f"<link rel='dns-prefetch' href='//fonts.googleapis.com' />\n"
            f'<link rel="alternate" type="application/rss+xml" title="Alanews &raquo; Feed" href="{base}/feed/" />\n'
            f"<link rel='stylesheet' id='wp-block-library-css' href='{base}/wp-includes/css/dist/block-library/style.min.css?ver=6.4.3' type='text/css' media='all' />\n"
            f"<link rel='stylesheet' id='js_composer_front-css' href='{base}/wp-content/plugins/js_composer/assets/css/js_composer.min.css?ver=6.7.0' type='text/css' media='all' />\n"
            f"<link rel='stylesheet' id='jnews-frontend-css' href='{base}/wp-content/themes/jnews/assets/dist/frontend.min.css?ver=11.0.9' type='text/css' media='all' />\n"
            f"<link rel='stylesheet' id='jnews-style-css' href='{base}/wp-content/themes/jnews/style.css?ver=11.0.9' type='text/css' media='all' />\n"
            f"<script type=\"text/javascript\" src=\"{base}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1\" id=\"jquery-core-js\"></script>\n"
            f"<script type=\"text/javascript\" src=\"{base}/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.4.1\" id=\"jquery-migrate-js\"></script>\n"
            f'<link rel="https://api.w.org/" href="{base}/wp-json/" />\n'
            f'<meta name="generator" content="WordPress 6.4.3" />\n'
            f'<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABCDEF1234"></script>\n'
            f"<script>window.dataLayer = window.dataLayer || [];function gtag(){{dataLayer.push(arguments);}}gtag('js', new Date());gtag('config', 'G-ABCDEF1234');</script>\n"
            f'<style id="jeg_dynamic_css" type="text/css" data-type="jeg_custom-css">{filler_css()}</style>\n')


def tail_scripts(base: str, post_id: int | None) -> str:
    return (f'<script type="text/javascript" id="jnews-frontend-js-extra">\n/* <![CDATA[ */\n{theme_config(base, post_id)}\n/* ]]> */\n</script>\n'
            f'<script type="text/javascript" src="{base}/wp-content/themes/jnews/assets/dist/frontend.min.js?ver=11.0.9" id="jnews-frontend-js"></script>\n'
            f'<script type="text/javascript" id="jnews-inline-js">\n{filler_js()}\n</script>\n'
            f'<script type="text/javascript">var jfla = ["view_counter"];</script>\n')


def _doc(head: str, body_class: str, main: str, base: str, site: Site, post_id: int | None, tail_ld: str = "") -> str:
    return (f'<!doctype html>\n<!--[if lt IE 7]> <html class="no-js lt-ie9 lt-ie8 lt-ie7" lang="it-IT"> <![endif]-->\n'
            f'<!--[if (gt IE 9)|!(IE)]><!--> <html lang="it-IT"> <!--<![endif]-->\n<head>\n'
            f'    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n'
            f"    <meta name='viewport' content='width=device-width, initial-scale=1, user-scalable=yes' />\n"
            f'    <link rel="profile" href="http://gmpg.org/xfn/11" />\n{head}\n{head_assets(base)}</head>\n'
            f'<body class="{body_class}">\n{header(base)}{main}\n{footer(base)}{mobile_drawer(base)}\n'
            f'<script type="text/javascript">var jnews_ajax_url = \'/?ajax-request=jnews\'</script>\n'
            f'{login_popup(base)}\n{tail_scripts(base, post_id)}{tail_ld}</body>\n</html>\n')


# ------------------------------------------------------------ article page
def _person_id(base: str, name: str) -> str:
    return f"{base}/#/schema/person/" + hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()


def _yoast_graph(a: Article, base: str) -> str:
    url = a.url(base)
    img = a.image_url(base)
    art = {"@type": "NewsArticle", "@id": url + "#article", "isPartOf": {"@id": url}}
    if a.author:
        art["author"] = {"name": a.author, "@id": _person_id(base, a.author)}
    art.update({"headline": _headline(a), "datePublished": utc_iso(a.published), "dateModified": utc_iso(a.modified),
                "mainEntityOfPage": {"@id": url},
                "wordCount": sum(len(x.split()) for _, x in a.blocks), "commentCount": 0,
                "publisher": {"@id": base + "/#organization"}})
    if img:
        art["image"] = {"@id": url + "#primaryimage"}
        art["thumbnailUrl"] = img
    if a.tags:
        art["keywords"] = list(a.tags)
    art["articleSection"] = [a.category]
    art["inLanguage"] = "it-IT"
    page = {"@type": "WebPage", "@id": url, "url": url, "name": f"{a.title} - {SITE_NAME}",
            "isPartOf": {"@id": base + "/#website"}}
    if img:
        page.update({"primaryImageOfPage": {"@id": url + "#primaryimage"}, "image": {"@id": url + "#primaryimage"},
                     "thumbnailUrl": img})
    page.update({"datePublished": utc_iso(a.published), "dateModified": utc_iso(a.modified)})
    if a.subtitle:
        page["description"] = a.subtitle
    page.update({"breadcrumb": {"@id": url + "#breadcrumb"}, "inLanguage": "it-IT",
                 "potentialAction": [{"@type": "ReadAction", "target": [url]}]})
    graph = [art, page]
    if img:
        io = {"@type": "ImageObject", "inLanguage": "it-IT", "@id": url + "#primaryimage", "url": img,
              "contentUrl": img, "width": 1200, "height": 675}
        if a.image[1]:
            io["caption"] = a.image[1]
        graph.append(io)
    crumbs = [{"@type": "ListItem", "position": 1, "name": "Home", "item": base + "/"}]
    parts = a.category_path.split("/")
    for k in range(len(parts)):
        p = "/".join(parts[: k + 1])
        crumbs.append({"@type": "ListItem", "position": len(crumbs) + 1, "name": CATEGORY_NAMES[p], "item": cat_url(base, p)})
    crumbs.append({"@type": "ListItem", "position": len(crumbs) + 1, "name": a.title})
    graph.append({"@type": "BreadcrumbList", "@id": url + "#breadcrumb", "itemListElement": crumbs})
    graph.append({"@type": "WebSite", "@id": base + "/#website", "url": base + "/", "name": SITE_NAME,
                  "description": SITE_DESC, "publisher": {"@id": base + "/#organization"},
                  "potentialAction": [{"@type": "SearchAction", "target": {"@type": "EntryPoint",
                                       "urlTemplate": base + "/?s={search_term_string}"},
                                       "query-input": "required name=search_term_string"}],
                  "inLanguage": "it-IT"})
    graph.append({"@type": "Organization", "@id": base + "/#organization", "name": SITE_NAME, "url": base + "/",
                  "logo": {"@type": "ImageObject", "inLanguage": "it-IT", "@id": base + "/#/schema/logo/image/",
                           "url": base + "/wp-content/uploads/2021/03/logo-alanews.png",
                           "contentUrl": base + "/wp-content/uploads/2021/03/logo-alanews.png",
                           "width": 520, "height": 120, "caption": SITE_NAME},
                  "image": {"@id": base + "/#/schema/logo/image/"},
                  "sameAs": ["https://www.facebook.com/alanews.it", "https://x.com/alanews",
                             "https://www.youtube.com/user/alanewsvideo"]})
    if a.author:
        graph.append({"@type": "Person", "@id": _person_id(base, a.author), "name": a.author,
                      "image": {"@type": "ImageObject", "inLanguage": "it-IT", "@id": base + "/#/schema/person/image/",
                                "url": "https://secure.gravatar.com/avatar/" + hashlib.md5(a.author.encode(), usedforsecurity=False).hexdigest() + "?s=96&d=mm&r=g",
                                "caption": a.author},
                      "url": f"{base}/author/{a.author_slug}/"})
    data = {"@context": "https://schema.org", "@graph": graph}
    return ('<script type="application/ld+json" class="yoast-schema-graph">'
            + json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "</script>")


def _headline(a: Article) -> str:
    return f"{a.title} - {SITE_NAME}" if a.title_suffix else a.title


def _aioseo_graph(a: Article, base: str) -> str:
    """All in One SEO's graph: its dates the UTC clock time labelled with the Rome offset (wrong)."""
    url = a.url(base)
    wrong = lambda d: d.astimezone(UTC).replace(tzinfo=None).isoformat() + d.strftime("%z")[:3] + ":" + d.strftime("%z")[3:]
    art = {"@type": "NewsArticle", "@id": url + "#newsarticle", "name": _headline(a), "headline": _headline(a),
           "publisher": {"@id": base + "/#organization"}, "datePublished": wrong(a.published),
           "dateModified": wrong(a.modified), "inLanguage": "it-IT", "mainEntityOfPage": {"@id": url + "#webpage"},
           "isPartOf": {"@id": url + "#webpage"}, "articleSection": ", ".join([a.category, *a.tags])}
    graph = [art]
    if a.author:
        art["author"] = {"@id": f"{base}/author/{a.author_slug}/#author"}
        graph.append({"@type": "Person", "@id": f"{base}/author/{a.author_slug}/#author",
                      "url": f"{base}/author/{a.author_slug}/", "name": a.author})
    graph += [{"@type": "WebPage", "@id": url + "#webpage", "url": url, "name": f"{a.title} - {SITE_NAME}",
               "inLanguage": "it-IT", "datePublished": wrong(a.published), "dateModified": wrong(a.modified)},
              {"@type": "WebSite", "@id": base + "/#website", "url": base + "/", "name": SITE_NAME,
               "inLanguage": "it-IT"}]
    return ('<script type="application/ld+json" class="aioseo-schema">'
            + json.dumps({"@context": "https://schema.org", "@graph": graph}, separators=(",", ":")).replace("/", "\\/")
            + "</script>")


def _rank_math_graph(a: Article, base: str) -> str:
    """Rank Math's graph: right dates (Rome, with offset); ``keywords`` is the focus keyword."""
    url = a.url(base)
    art = {"@type": "NewsArticle", "headline": _headline(a), "keywords": a.focus_keyword,
           "datePublished": a.published.isoformat(), "dateModified": a.modified.isoformat(),
           "articleSection": a.category, "publisher": {"@id": base + "/#organization", "name": SITE_NAME},
           "description": a.subtitle or a.excerpt(30), "name": _headline(a), "@id": url + "#richSnippet",
           "isPartOf": {"@id": url + "#webpage"}, "inLanguage": "it-IT", "mainEntityOfPage": {"@id": url + "#webpage"}}
    graph = [{"@type": ["Person", "Organization"], "@id": base + "/#person", "name": SITE_NAME},
             {"@type": "WebSite", "@id": base + "/#website", "url": base, "name": SITE_NAME,
              "publisher": {"@id": base + "/#person"}, "inLanguage": "it-IT"},
             {"@type": "WebPage", "@id": url + "#webpage", "url": url, "name": f"{a.title} - {SITE_NAME}",
              "datePublished": a.published.isoformat(), "dateModified": a.modified.isoformat(), "inLanguage": "it-IT"}]
    if a.author:
        art["author"] = {"@id": f"{base}/author/{a.author_slug}/", "name": a.author}
        graph.append({"@type": "Person", "@id": f"{base}/author/{a.author_slug}/", "name": a.author,
                      "url": f"{base}/author/{a.author_slug}/"})
    graph.append(art)
    return ('<script type="application/ld+json" class="rank-math-schema">'
            + json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False, separators=(",", ":"))
            + "</script>")


def _video_ld(a: Article, base: str) -> str:
    video = {"@context": "https://schema.org", "@type": "VideoObject", "name": a.title,
             "description": a.subtitle or a.excerpt(30), "uploadDate": a.published.isoformat(),
             "thumbnailUrl": a.image_url(base) or f"{base}/wp-content/themes/jnews/assets/img/jeg-empty.png"}
    video["embedUrl" if a.video_kind == "iframe" else "contentUrl"] = a.video_src(base)
    return '<script type="application/ld+json">' + json.dumps(video, ensure_ascii=False) + "</script>"


def _jnews_ld(a: Article, base: str) -> str:
    url = a.url(base)
    loc = lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
    org = {"@context": "http://schema.org", "@type": "Organization", "@id": base + "/#organization",
           "url": base + "/", "name": SITE_NAME,
           "logo": {"@type": "ImageObject", "url": base + "/wp-content/uploads/2021/03/logo-alanews.png"},
           "sameAs": ["https://www.facebook.com/alanews.it", "https://twitter.com/alanews"]}
    web = {"@context": "http://schema.org", "@type": "WebSite", "@id": base + "/#website", "url": base + "/",
           "name": SITE_NAME, "potentialAction": {"@type": "SearchAction", "target": base + "/?s={search_term_string}",
                                                  "query-input": "required name=search_term_string"}}
    gmt = lambda d: d.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    # as real JNews sites emit it: lower-case type, published in local time, modified in GMT, no offsets
    art = {"@context": "http://schema.org", "@type": "article",
           "mainEntityOfPage": {"@type": "WebPage", "@id": url},
           "dateCreated": loc(a.published), "datePublished": loc(a.published), "dateModified": gmt(a.modified),
           "url": url, "headline": a.title, "name": a.title,
           "articleBody": "".join(f"<{k}>{x}</{k}>\n" for k, x in a.blocks), "articleSection": a.category}
    if a.image:
        art["image"] = {"@type": "ImageObject", "url": a.image_sized(base, "750x375"), "width": 750, "height": 375}
    if a.author:
        art["author"] = {"@type": "Person", "url": f"{base}/author/{a.author_slug}/", "name": a.author}
        art["creator"] = art["author"]
    art["publisher"] = {"@type": "Organization", "name": SITE_NAME, "url": base + "/",
                        "logo": {"@type": "ImageObject", "url": base + "/wp-content/uploads/2021/03/logo-alanews.png"}}
    return "".join(f"<script type='application/ld+json'>{jnews_json(o)}</script>\n" for o in (org, web, art))


def _share(a: Article, base: str, where: str) -> str:
    u = a.url(base)
    from urllib.parse import quote
    q = quote(u, safe="")
    tt = quote(a.title, safe="")
    return (f'<div class="jeg_share_button clearfix share-{where}">\n<div class="jeg_share_stats"><div class="jeg_share_count">'
            f'<div class="counts">0</div><span class="sharetext">SHARES</span></div></div>\n<div class="jeg_sharelist">\n'
            f'<a href="http://www.facebook.com/sharer.php?u={q}" rel=\'nofollow\' class="jeg_btn-facebook expanded">'
            f'<i class="fa fa-facebook-official"></i><span>Share on Facebook</span></a>'
            f'<a href="https://twitter.com/intent/tweet?text={tt}&amp;url={q}" rel=\'nofollow\' class="jeg_btn-twitter expanded">'
            f'<i class="fa fa-twitter"></i><span>Share on Twitter</span></a>'
            f'<a href="//api.whatsapp.com/send?text={tt}%0A{q}" rel=\'nofollow\' class="jeg_btn-whatsapp"><i class="fa fa-whatsapp"></i></a>'
            f'<a href="https://www.linkedin.com/shareArticle?url={q}&amp;title={tt}" rel=\'nofollow\' class="jeg_btn-linkedin"><i class="fa fa-linkedin"></i></a>'
            f'<a href="mailto:?subject={tt}&amp;body={q}" rel=\'nofollow\' class="jeg_btn-email"><i class="fa fa-envelope"></i></a>\n'
            f'<div class="share-secondary">\n</div>\n<a href="#" class="jeg_btn-toggle"><i class="fa fa-share"></i></a>\n'
            f'</div>\n</div>')


def _ad_inline(slot: int) -> str:
    return (f'<div class="jeg_ad jeg_ad_article jnews_content_inline_ads  "><div class=\'ads-wrapper align-center \'>'
            f'<div class=\'ads_code\'><script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js"></script>\n'
            f'<ins class="adsbygoogle" style="display:block; text-align:center;" data-ad-layout="in-article" data-ad-format="fluid" '
            f'data-ad-client="ca-pub-8765432101234567" data-ad-slot="{slot}"></ins>\n'
            f'<script>\n     (adsbygoogle = window.adsbygoogle || []).push({{}});\n</script></div>'
            f'<div class=\'ads-text\'>Pubblicità</div></div></div>')


def _thumb_img(a: Article, base: str, size: str, w: int, h: int) -> str:
    src = a.image_sized(base, size)
    if not src:
        return '<div class="thumbnail-container animate-lazy no_thumbnail size-715 "></div>'
    return (f'<div class="thumbnail-container animate-lazy  size-715 "><img width="{w}" height="{h}" '
            f'src="{base}/wp-content/themes/jnews/assets/img/jeg-empty.png" class="attachment-jnews-{size} size-jnews-{size} lazyload wp-post-image" '
            f'alt="{a_(a.image[1] or a.title)}" decoding="async" data-src="{src}" data-sizes="auto" '
            f'data-srcset="{src} {w}w" data-expand="700" /></div>')


def _related_article(a: Article, base: str, href: str) -> str:
    return (f'<article class="jeg_post jeg_pl_md_5 format-{"video" if a.video_kind else "standard"}">\n'
            f'<div class="jeg_thumb">\n\t<a href="{href}">{_thumb_img(a, base, "350x250", 350, 250)}</a>\n'
            f'<div class="jeg_post_category">\n\t<span><a href="{cat_url(base, a.category_path)}" class="category-{cat_slug(a.category_path)}">{t(a.category)}</a></span>\n</div>\n</div>\n'
            f'<div class="jeg_postblock_content">\n\t<h3 class="jeg_post_title">\n\t\t<a href="{href}">{t(a.title)}</a>\n\t</h3>\n'
            f'\t<div class="jeg_post_meta"><div class="jeg_meta_date"><a href="{href}" ><i class="fa fa-clock-o"></i> {fmt_std(a.published)}</a></div></div>\n'
            f'</div>\n</article>')


def _player(a: Article, base: str) -> str:
    """The video's player: a YouTube iframe, or a <video> with its <source>."""
    if a.video_kind == "iframe":
        return (f'<div class="jeg_video_container jeg_video_content">'
                f'<iframe title="{a_(a.title)}" width="500" height="281" src="{a.video_src(base)}" frameborder="0" '
                f'allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" '
                f'referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe></div>')
    return (f'<video class="wp-video-shortcode" id="video-{a.post_id}-1" width="640" height="360" preload="metadata" '
            f'controls="controls"><source type="video/mp4" src="{a.video_src(base)}" /></video>')


def _bio(a: Article) -> str:
    return f"{a.author} scrive di attualità per {SITE_NAME} dal 2019. Segue cronaca, politica & esteri."


def _jnews_author_box(a: Article, base: str) -> str:
    av = hashlib.md5(a.author.encode(), usedforsecurity=False).hexdigest()
    return (f'<div class="jeg_authorbox"><div class="jeg_author_image"><img alt=\'{a_(a.author)}\' '
            f'src=\'https://secure.gravatar.com/avatar/{av}?s=80&#038;d=mm&#038;r=g\' class=\'avatar avatar-80 photo\' '
            f'height=\'80\' width=\'80\'/></div><div class="jeg_author_content"><h3 class="jeg_author_name">'
            f'<a href="{base}/author/{a.author_slug}/">{t(a.author)}</a></h3><p class="jeg_author_desc">{t(_bio(a))}</p>'
            f'<div class="jeg_author_socials"><a href="https://twitter.com/alanews" class="twitter"><i class="fa fa-twitter"></i></a>'
            f'</div></div></div>')


def _molongui_box(a: Article, base: str, other: Article) -> str:
    """Molongui's author box, as the plugin puts it inside the content, with the author's other posts."""
    return (f'<div class="m-a-box " data-box-layout="slim" data-box-position="below" data-multiauthor="false">'
            f'<div class="m-a-box-container"><div class="m-a-box-tab m-a-box-content m-a-box-profile">'
            f'<div class="m-a-box-content-middle"><div class="m-a-box-item m-a-box-data">'
            f'<div class="m-a-box-name"><h5 itemprop="name"><a href="{base}/author/{a.author_slug}/">{t(a.author)}</a></h5></div>'
            f'<div class="m-a-box-bio"><p>{t(_bio(a))}</p></div>'
            f'<div class="m-a-box-related"><ul><li><a href="{other.url(base)}">{t(other.title)}</a></li></ul></div>'
            f'</div></div></div></div></div>')


def _callouts() -> str:
    """A newsletter sign-up (Mailchimp for WordPress) and a "comment below" call-out inside the content."""
    return ('<form id="mc4wp-form-1" class="mc4wp-form mc4wp-form-77" method="post"><div class="mc4wp-form-fields">'
            '<p>Iscriviti alla newsletter di Alanews: le notizie del giorno ogni mattina.</p>'
            '<p><input type="email" name="EMAIL" placeholder="La tua email" required /></p>'
            '<p><input type="submit" value="Iscriviti" /></p></div></form>\n'
            '<div class="comment-callout"><p>E tu cosa ne pensi? Scrivilo nei commenti qui sotto.</p></div>')


def _elementor_widget(name: str, inner: str) -> str:
    return (f'<div class="elementor-element elementor-widget elementor-widget-{name}_elementor" '
            f'data-widget_type="{name}_elementor.default"><div class="elementor-widget-container">{inner}</div></div>\n')


def _custom_template(a: Article, base: str, site: Site, breadcrumbs: str, header: str, featured: str,
                     entry_content: str, tags: str, author_box: str, rel: str) -> str:
    """The post laid out by a custom (Elementor-built) JNews template: every part a block of its own."""
    top = (_elementor_widget("jnews_post_breadcrumb", f'<div class="jeg_custom_breadcrumb_wrapper ">{breadcrumbs}</div>')
           + header)
    main = (_elementor_widget("jnews_post_feature", f'<div class="jeg_custom_featured_wrapper ">{featured}</div>')
            + _elementor_widget("jnews_post_content", f'<div class="jeg_custom_content_wrapper ">{entry_content}</div>')
            + (_elementor_widget("jnews_post_tag", f'<div class="jeg_custom_tag_wrapper ">{tags}</div>') if tags else "")
            + _elementor_widget("jnews_post_author", author_box)
            + _elementor_widget("jnews_post_related", f'<div class="jeg_custom_related_wrapper ">{rel}</div>'))
    section = '<section class="elementor-section elementor-top-section"><div class="elementor-container">'
    return (f'<div class="elementor elementor-{9000 + len(CATEGORIES)}" data-elementor-type="wp-post">\n'
            f'{section}<div class="elementor-column elementor-col-100"><div class="elementor-widget-wrap">\n{top}'
            f'</div></div></div></section>\n'
            f'{section}<div class="elementor-column elementor-col-66"><div class="elementor-widget-wrap">\n{main}'
            f'</div></div>\n<div class="elementor-column elementor-col-33">{sidebar(site, base)}</div></div></section>\n'
            f'</div>\n')


def article_bytes(a: Article, page: str) -> bytes:
    """The article's page as served: UTF-8, and with ``stray_byte`` one windows-1252 byte in it
    (the body's first ’ as the byte 0x92, as when a post is pasted from an old editor)."""
    data = page.encode("utf-8")
    if a.stray_byte:
        start = data.find(b'class="content-inner')
        at = data.find(b"&#8217;", start) if start >= 0 else -1
        if at >= 0:
            data = data[:at] + b"\x92" + data[at + len(b"&#8217;"):]
    return data


def render_article(site: Site, a: Article, base_url: str) -> str:
    base = base_url.rstrip("/")
    url = a.url(base)
    canonical = a_(a.canonical) if a.canonical else url
    img_full = a.image_url(base)
    # ---- head
    desc = a.subtitle or a.excerpt(30)
    h = [f"<title>{t(a.title)} - Alanews</title>",
         '<meta name="description" content="' + a_(desc) + '" />',
         '<meta name="robots" content="index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1" />',
         f'<link rel="canonical" href="{canonical}" />',
         '<meta property="og:locale" content="it_IT" />', '<meta property="og:type" content="article" />',
         f'<meta property="og:title" content="{a_(_headline(a))}" />', f'<meta property="og:description" content="{a_(desc)}" />',
         f'<meta property="og:url" content="{canonical}" />', '<meta property="og:site_name" content="Alanews" />']
    if not a.no_meta:
        h += ['<meta property="article:publisher" content="https://www.facebook.com/alanews.it" />',
              f'<meta property="article:published_time" content="{utc_iso(a.published)}" />',
              f'<meta property="article:modified_time" content="{utc_iso(a.modified)}" />']
        if not a.no_yoast and a.seo_plugin == "rankmath":
            h.append(f'<meta property="article:section" content="{a_(a.category)}" />')
    if img_full:
        h += [f'<meta property="og:image" content="{img_full}" />', '<meta property="og:image:width" content="1200" />',
              '<meta property="og:image:height" content="675" />', '<meta property="og:image:type" content="image/jpeg" />']
    if a.video_url and not a.featured_video:
        h.append(f'<meta property="og:video" content="{a_(a.video_src(base))}" />')
    if a.author:
        h.append(f'<meta name="author" content="{a_(a.author)}" />')
    h += ['<meta name="twitter:card" content="summary_large_image" />', '<meta name="twitter:site" content="@alanews" />']
    if a.author:
        h += ['<meta name="twitter:label1" content="Scritto da" />', f'<meta name="twitter:data1" content="{a_(a.author)}" />']
    h += ['<meta name="twitter:label2" content="Tempo di lettura stimato" />',
          f'<meta name="twitter:data2" content="{max(1, sum(len(x.split()) for _, x in a.blocks) // 200)} minuti" />']
    if not a.no_yoast:
        h.append({"yoast": _yoast_graph, "aioseo": _aioseo_graph, "rankmath": _rank_math_graph}[a.seo_plugin](a, base))
    if a.video_url and a.video_ld:
        h.append(_video_ld(a, base))
    h.append(f"<link rel='shortlink' href='{base}/?p={a.post_id}' />")
    h.append(f'<link rel="alternate" type="application/json+oembed" href="{base}/wp-json/oembed/1.0/embed?url={a_(url)}" />')
    head = "\n".join(h)
    fmt = "video" if a.video_kind else "standard"
    body_class = (f"post-template-default single single-post postid-{a.post_id} single-format-{fmt} "
                  f"jeg_toggle_light {'jeg_single_custom' if a.template == 'custom' else 'jeg_single_tpl_' + a.template} "
                  f"jnews jsc_normal wpb-js-composer js-comp-ver-6.7.0 vc_responsive")
    # ---- breadcrumbs
    parts = a.category_path.split("/")
    crumbs = [f'<span><a href="{base}/">Home</a></span>']
    for k in range(len(parts)):
        p = "/".join(parts[: k + 1])
        cls = ' class="breadcrumb_last_link"' if k == len(parts) - 1 else ""
        crumbs.append(f'<i class="fa fa-angle-right"></i>\n<span{cls}><a href="{cat_url(base, p)}">{t(CATEGORY_NAMES[p])}</a></span>')
    breadcrumbs = ('<div class="jeg_breadcrumbs jeg_breadcrumb_container">\n<div id="breadcrumbs">'
                   + "".join(crumbs) + '</div></div>')
    # ---- header meta
    meta = ['<div class="jeg_meta_container"><div class="jeg_post_meta jeg_post_meta_1">\n\n\t<div class="meta_left">']
    if a.author:
        av = hashlib.md5(a.author.encode(), usedforsecurity=False).hexdigest()
        meta.append(f'\t\t\t\t\t<div class="jeg_meta_author">\n\t\t\t\t<img alt=\'{a_(a.author)}\' '
                    f'src=\'https://secure.gravatar.com/avatar/{av}?s=80&#038;d=mm&#038;r=g\' '
                    f'srcset=\'https://secure.gravatar.com/avatar/{av}?s=160&#038;d=mm&#038;r=g 2x\' '
                    f'class=\'avatar avatar-80 photo\' height=\'80\' width=\'80\' decoding=\'async\'/>\t\t\t\t'
                    f'<span class="meta_text">by</span>\n\t\t\t\t<a href="{base}/author/{a.author_slug}/">{t(a.author)}</a>\t\t\t</div>')
    meta.append(f'\t\t\t\t\t<div class="jeg_meta_date">\n\t\t\t\t<a href="{url}">{t(a.visible_date)}</a>\n\t\t\t</div>')
    cats = [f'<a href="{cat_url(base, a.category_path)}" rel="category tag">{t(a.category)}</a>']
    cats += [f'<a href="{cat_url(base, p)}" rel="category tag">{t(CATEGORY_NAMES[p])}</a>' for p in a.listed_in]
    meta.append('\t\t\t\t\t<div class="jeg_meta_category">\n\t\t\t\t<span><span class="meta_text">in</span>\n\t\t\t\t\t'
                + ", ".join(cats) + '\t\t\t\t</span>\n\t\t\t</div>')
    meta_right = ('\t<div class="meta_right">\n\t\t\t\t\t\t\t<div class="jeg_meta_comment"><a href="'
                  + url + '#comments"><i class="fa fa-comment-o"></i> 0 </a></div>\n\t\t\t</div>')
    meta.append('\t\t\t</div>\n\n' + meta_right + '\n</div>\n</div>')
    entry_header = (f'<div class="entry-header">\n\t<h1 class="jeg_post_title">{t(a.title)}</h1>\n'
                    + (f'\t<h2 class="jeg_post_subtitle">{t(a.subtitle)}</h2>\n' if a.subtitle else "")
                    + "\n".join(meta) + '\n</div>')
    # a custom (Elementor) template: title, subtitle and byline in blocks of their own, no .entry-header
    custom_header = (_elementor_widget("jnews_post_title", f'<div class="jeg_custom_title_wrapper ">'
                                       f'<h1 class="jeg_post_title">{t(a.title)}</h1></div>')
                     + (_elementor_widget("jnews_post_subtitle", f'<div class="jeg_custom_subtitle_wrapper ">'
                                          f'<h2 class="jeg_post_subtitle">{t(a.subtitle)}</h2></div>') if a.subtitle else "")
                     + _elementor_widget("jnews_post_meta", '<div class="jeg_post_meta jeg_custom_meta_wrapper ">'
                                         '<div class="meta_left">' + "\n".join(meta[1:-1]) + '</div>' + meta_right
                                         + '</div>'))
    # ---- featured image (or, in the video post format, the player)
    featured = ""
    if a.video_url and a.featured_video:
        featured = ('<div class="jeg_featured featured_video"><div class="jeg_featured_video_wrapper">'
                    + _player(a, base) + '</div></div>')
    elif a.image:
        cap = a.image[1]
        img = (f'<a href="{img_full}">'
               f'<div class="thumbnail-container animate-lazy" style="padding-bottom:50%">'
               f'<img width="750" height="375" src="{base}/wp-content/themes/jnews/assets/img/jeg-empty.png" '
               f'class="attachment-jnews-750x375 size-jnews-750x375 lazyload wp-post-image" alt="{a_(cap or a.title)}" '
               f'decoding="async" fetchpriority="high" data-src="{a.image_sized(base, "750x375")}" data-sizes="auto" '
               f'data-srcset="{a.image_sized(base, "750x375")} 750w, {a.image_sized(base, "360x180")} 360w, '
               f'{a.image_sized(base, "1140x570")} 1140w" data-expand="700" /></div></a>')
        if cap and a.caption_style == "figcaption":
            featured = f'<div  class="jeg_featured featured_image "><figure>{img}<figcaption>{t(cap)}</figcaption></figure></div>'
        elif cap and a.caption_style == "featured_caption":
            featured = f'<div  class="jeg_featured featured_image ">{img}</div><div class="featured_caption">{t(cap)}</div>'
        else:
            featured = (f'<div  class="jeg_featured featured_image ">{img}'
                        + (f'<p class="wp-caption-text">{t(cap)}</p>' if cap else "") + '</div>')
    # ---- content
    others = [site.by_id[p] for p in a.related]
    inline_rel = others[:2] if a.post_id % 2 else others[:3]
    inline_box = (f'<div class="jnews_inline_related_post_wrapper left half">\n<div class="jnews_inline_related_post">\n'
                  f'<div  class="jeg_postblock_29 jeg_postblock jeg_module_hook jeg_pagination_nextprev jeg_col_1o3 jnews_module_{a.post_id}_1_x  normal ">\n'
                  f'<div class="jeg_block_heading jeg_block_heading_6 jeg_subcat_right"><h3 class="jeg_block_title"><span>Leggi anche</span></h3></div>\n'
                  f'<div class="jeg_block_container">\n<div class="jeg_posts ">\n<div class="jeg_postsmall jeg_load_more_flag">'
                  + "".join(f'<article class="jeg_post jeg_pl_xs_4 format-standard"><div class="jeg_postblock_content">'
                            f'<h3 class="jeg_post_title"><a href="{o.url(base)}">{t(o.title)}</a></h3></div></article>'
                            for o in inline_rel)
                  + '</div>\n</div>\n<div class=\'module-overlay\'><div class=\'preloader_type preloader_dot\'></div></div>\n</div>\n'
                  f'<div class="jeg_block_navigation"><div class="navigation_overlay"></div><div class="jeg_block_nav">'
                  f'<a href="#" class="prev disabled" title="Previous"><i class="fa fa-angle-left"></i></a>'
                  f'<a href="#" class="next" title="Next"><i class="fa fa-angle-right"></i></a></div></div>\n'
                  f'<script>var jnews_module_{a.post_id}_1_x = {{"header_icon":"","first_title":"Leggi anche","number_post":"2","post_offset":0}};</script>\n'
                  '</div>\n</div>\n</div>')
    content = []
    if a.video_kind == "iframe" and not a.featured_video:
        content.append(f'<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube wp-embed-aspect-16-9 wp-has-aspect-ratio">'
                       f'<div class="wp-block-embed__wrapper">\n{_player(a, base)}\n</div></figure>')
    elif a.video_kind == "video" and not a.featured_video:
        content.append(f'<div style="width: 640px;" class="wp-video"><!--[if lt IE 9]><script>document.createElement(\'video\');</script><![endif]-->\n'
                       f'{_player(a, base)}</div>')
    n_p = 0
    for kind, text in a.blocks:
        if kind == "p":
            n_p += 1
            if n_p == 1 and a.post_id % 3 == 0 and ". " in text:
                first, rest = text.split(". ", 1)
                content.append(f"<p><strong>{t(first)}.</strong> {t(rest)}</p>")
            else:
                content.append(f"<p>{t(text)}</p>")
            if n_p == 1:
                content.append(_ad_inline(3456789000 + a.post_id))
            if n_p == 2:
                content.append(inline_box)
            if n_p == 2 and a.empty_paragraph:
                content.append("<p>&nbsp;</p>")
        else:
            content.append(f"<h2>{t(text)}</h2>")
    if not a.blocks:
        content.append(_ad_inline(3456789000 + a.post_id))
    if a.author and a.author_box == "molongui":
        content.append(_molongui_box(a, base, others[0]))
    if a.callouts:
        content.append(_callouts())
    content.append(f'<script type="text/javascript">jnews_view_counter = {{ post_id: {a.post_id} }};</script>')
    if a.post_id % 4 == 0:
        content.append(_share(a, base, "bottom"))
    tags = ""
    if a.tags:
        tags = ('<div class="jeg_post_tags"><span>Tags:</span> '
                + "".join(f'<a href="{base}/tag/{_tag_slug(x)}/" rel="tag">{t(x)}</a>' for x in a.tags) + '</div>')
    custom = a.template == "custom"
    entry_content = ('<div class="entry-content no-share">\n<div class="jeg_share_button share-float jeg_sticky_share clearfix share-monocrhome">'
                     '<div class="jeg_share_float_container"></div></div>\n'
                     '<div class="content-inner ">' + "\n".join(content) + ("" if custom else f'\n{tags}') + '\n</div>\n</div>')
    entry = (f'<div class="jeg_share_top_container">{_share(a, base, "top")}</div>\n'
             f'<div class="jeg_ad jeg_article jnews_content_top_ads "><div class=\'ads-wrapper  \'></div></div>\n'
             + entry_content)
    # ---- prev / next (site-wide chronology)
    idx = site.position[a.post_id]
    newer = site.articles[idx - 1] if idx > 0 else None
    older = site.articles[idx + 1] if idx + 1 < len(site.articles) else None
    pn = ['<div class="jnews_prev_next_container"><div class="jeg_prevnext_post">']
    if older:
        pn.append(f'<a href="{older.url(base)}" class="post prev-post">\n<span class="caption">Previous Post</span>\n'
                  f'<h3 class="post-title">{t(older.title)}</h3>\n</a>')
    if newer:
        pn.append(f'<a href="{newer.url(base)}" class="post next-post">\n<span class="caption">Next Post</span>\n'
                  f'<h3 class="post-title">{t(newer.title)}</h3>\n</a>')
    pn.append('</div></div>')
    # ---- related
    rel = (f'<div class="jnews_related_post_container"><div  class="jeg_postblock_22 jeg_postblock jeg_module_hook jeg_pagination_disable '
           f'jeg_col_2o3 jnews_module_{a.post_id}_0_x  normal " data-unique="jnews_module_{a.post_id}_0_x">\n'
           f'<div class="jeg_block_heading jeg_block_heading_6 jnews_module_{a.post_id}_0_x"><h3 class="jeg_block_title">'
           f'<span>Related<strong> Posts</strong></span></h3></div>\n<div class="jeg_block_container">\n'
           f'<div class="jeg_posts_wrap"><div class="jeg_posts jeg_load_more_flag">\n'
           + "\n".join(_related_article(o, base, related_href(base, o, a.related_style)) for o in others)
           + '\n</div></div>\n<div class=\'module-overlay\'><div class=\'preloader_type preloader_dot\'></div></div>\n</div>\n'
           f'<div class="jeg_block_navigation">\n<div class=\'navigation_overlay\'></div>\n</div>\n'
           f'<script>var jnews_module_{a.post_id}_0_x = {{"header_icon":"","first_title":"Related","second_title":" Posts",'
           f'"number_post":"6","post_type":"post","include_category":"{list(CATEGORY_NAMES).index(a.category_path) + 2}",'
           f'"sort_by":"latest","pagination_mode":"disable"}};</script>\n</div></div>')
    comments = ('<div class="jnews_comment_container"><div id="respond" class="comment-respond">\n'
                '<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3></div></div>')
    author_box = ('<div class="jnews_author_box_container ">'
                  + (_jnews_author_box(a, base) if a.author and a.author_box == "jnews" else "") + '</div>')
    # template 1: breadcrumbs and header inside the main column; template 2: before the row that holds it
    before_row, in_column = ("", f'{breadcrumbs}\n{entry_header}\n') if a.template == "1" else \
        (f'{breadcrumbs}\n{entry_header}\n', "")
    column = (f'<div class="row">\n<div class="jeg_main_content col-md-8">\n<div class="jeg_inner_content">\n'
              f'{in_column}{featured}\n{entry}\n'
              f'<div class="jeg_ad jeg_article jnews_content_bottom_ads "><div class=\'ads-wrapper  \'></div></div>\n'
              + "\n".join(pn) + f'\n{author_box}\n{rel}\n'
              f'<div class="jnews_popup_post_container"></div>\n{comments}\n</div>\n</div>\n'
              f'{sidebar(site, base)}\n</div>\n')
    if custom:
        column = _custom_template(a, base, site, breadcrumbs, custom_header, featured, entry_content, tags, author_box, rel)
    main = (f'<div class="post-wrapper">\n<div class="post-wrap" >\n<div class="jeg_main {"jeg_single_custom" if custom else ""}">\n<div class="jeg_container">\n'
            f'<div class="jeg_content jeg_singlepage">\n<div class="container">\n'
            f'<div class="jeg_ad jeg_article jnews_article_top_ads">\n<div class=\'ads-wrapper  \'></div></div>\n'
            f'{before_row if not custom else ""}{column}</div>\n</div>\n</div>\n</div>\n</div>\n</div>')
    tail_ld = "" if a.no_jnews_ld else _jnews_ld(a, base)
    return _doc(head, body_class, main, base, site, a.post_id, tail_ld)


def _tag_slug(name: str) -> str:
    from .model import slugify
    return slugify(name)


# ------------------------------------------------------------ listings
def _hero_item(a: Article, base: str, n: int) -> str:
    u = a.url(base)
    bg = a.image_sized(base, "750x375") or f"{base}/wp-content/themes/jnews/assets/img/jeg-empty.png"
    return (f'<article class="jeg_post jeg_hero_item_{n} format-{"video" if a.video_kind else "standard"}" style="padding: 0 0 2px 2px;">'
            f'<div class="jeg_block_container"><span class="jeg_postformat_icon"></span>'
            f'<div class="jeg_thumb"><a href="{u}"><div class="thumbnail-container thumbnail-background" data-src="{bg}">'
            f'<div class="lazyloaded" data-src="{bg}" style="background-image: url({bg})"></div></div></a></div>'
            f'<div class="jeg_postblock_content"><div class="jeg_post_category"><a href="{cat_url(base, a.category_path)}" '
            f'class="category-{cat_slug(a.category_path)}">{t(a.category)}</a></div><div class="jeg_post_info">'
            f'<h2 class="jeg_post_title"><a href="{u}">{t(a.title)}</a></h2><div class="jeg_post_meta">'
            f'<div class="jeg_meta_date"><a href="{u}"><i class="fa fa-clock-o"></i> {fmt_std(a.published)}</a></div>'
            f'</div></div></div></div></article>')


def _list_item(a: Article, base: str) -> str:
    u = a.url(base)
    author = ""
    if a.author:
        author = (f'<div class="jeg_meta_author"><span class="by">by</span> '
                  f'<a href="{base}/author/{a.author_slug}/">{t(a.author)}</a></div>')
    return (f'<article class="jeg_post jeg_pl_lg_2 format-{"video" if a.video_kind else "standard"}">\n'
            f'    <div class="jeg_thumb">\n        \n        <a href="{u}">{_thumb_img(a, base, "350x250", 350, 250)}</a>\n'
            f'        <div class="jeg_post_category">\n            <span><a href="{cat_url(base, a.category_path)}" '
            f'class="category-{cat_slug(a.category_path)}">{t(a.category)}</a></span>\n        </div>\n    </div>\n'
            f'    <div class="jeg_postblock_content">\n        <h3 class="jeg_post_title">\n            <a href="{u}">{t(a.title)}</a>\n        </h3>\n'
            f'        <div class="jeg_post_meta">{author}<div class="jeg_meta_date"><a href="{u}" ><i class="fa fa-clock-o"></i> {fmt_std(a.published)}</a></div>'
            f'<div class="jeg_meta_comment"><a href="{u}#comments" ><i class="fa fa-comment-o"></i> 0</a></div></div>\n'
            f'        <div class="jeg_post_excerpt">\n            <p>{t(a.excerpt(20))}</p>\n'
            f'            <a href="{u}" class="jeg_readmore">Read more</a>\n        </div>\n    </div>\n</article>')


def _pagination(base: str, path: str, page: int, total: int) -> str:
    if total <= 1:
        return ""
    out = [f'<div class="jeg_navigation jeg_pagination jeg_pagenav_1 jeg_aligncenter no_navtext no_pageinfo">\n'
           f'                <span class="page_info">Page {page} of {total}</span>']
    if page > 1:
        out.append(f'<a href="{listing_url(base, path, page - 1)}" class="page_nav prev" data-id="{page - 1}">'
                   f'<span class="navtext">Prev</span></a>')
    shown = sorted({1, total, page - 1, page, page + 1} & set(range(1, total + 1)))
    prev = 0
    for n in shown:
        if n - prev > 1:
            out.append('<span class="page_number dots">&hellip;</span>')
        if n == page:
            out.append(f"<span class='page_number active'>{n}</span>")
        else:
            out.append(f"<a class='page_number' href='{listing_url(base, path, n)}'>{n}</a>")
        prev = n
    if page < total:
        out.append(f'<a href="{listing_url(base, path, page + 1)}" class="page_nav next" data-id="{page + 1}">'
                   f'<span class="navtext">Next</span></a>')
    out.append("</div>")
    return "\n".join(out)


def render_listing(site: Site, path: str, page: int, base_url: str) -> str | None:
    base = base_url.rstrip("/")
    path = path.strip("/")
    if path not in CATEGORY_NAMES or page < 1:
        return None
    posts = site.archive(path)
    total = max(1, -(-len(posts) // PER_PAGE))
    if page > total:
        return None
    name = CATEGORY_NAMES[path]
    canon = listing_url(base, path, page)
    h = [f"<title>{t(name)} Archivi" + (f" - Pagina {page} di {total}" if page > 1 else "") + " - Alanews</title>",
         '<meta name="robots" content="index, follow, max-snippet:-1, max-image-preview:large, max-video-preview:-1" />',
         f'<link rel="canonical" href="{canon}" />']
    if page > 1:
        h.append(f'<link rel="prev" href="{listing_url(base, path, page - 1)}" />')
    if page < total:
        h.append(f'<link rel="next" href="{listing_url(base, path, page + 1)}" />')
    h += ['<meta property="og:locale" content="it_IT" />', '<meta property="og:type" content="article" />',
          f'<meta property="og:title" content="{a_(name)} Archivi - Alanews" />', f'<meta property="og:url" content="{canon}" />',
          '<meta property="og:site_name" content="Alanews" />', '<meta name="twitter:card" content="summary_large_image" />']
    crumbs = [{"@type": "ListItem", "position": 1, "name": "Home", "item": base + "/"},
              {"@type": "ListItem", "position": 2, "name": name}]
    h.append('<script type="application/ld+json" class="yoast-schema-graph">' + json.dumps(
        {"@context": "https://schema.org", "@graph": [
            {"@type": "CollectionPage", "@id": canon, "url": canon, "name": f"{name} Archivi - Alanews",
             "isPartOf": {"@id": base + "/#website"}, "breadcrumb": {"@id": canon + "#breadcrumb"}, "inLanguage": "it-IT"},
            {"@type": "BreadcrumbList", "@id": canon + "#breadcrumb", "itemListElement": crumbs},
            {"@type": "WebSite", "@id": base + "/#website", "url": base + "/", "name": SITE_NAME, "inLanguage": "it-IT"}]},
        ensure_ascii=False, separators=(",", ":")) + "</script>")
    h.append(f'<link rel="alternate" type="application/rss+xml" title="Alanews &raquo; {a_(name)} Feed della categoria" '
             f'href="{base}/category/{path}/feed/" />')
    cat_id = list(CATEGORY_NAMES).index(path) + 2
    body_class = (f"archive category category-{cat_slug(path)} category-{cat_id} "
                  + (f"paged paged-{page} category-paged-{page} " if page > 1 else "")
                  + "jeg_toggle_light jnews jsc_normal wpb-js-composer js-comp-ver-6.7.0 vc_responsive")
    hero = (f'<div class="jnews_category_hero_container"><div  class="jeg_heroblock jeg_heroblock_1 jeg_hero_style_1 '
            f'jnews_module_{cat_id}_0_hero" data-margin="2"><div class="jeg_hero_wrapper"><div class="jeg_heroblock_wrapper" style="margin: 0px 0px -2px -2px;">'
            + "".join(_hero_item(x, base, n + 1) for n, x in enumerate(posts[:4]))
            + '</div></div></div></div>')
    parts = path.split("/")
    bc = [f'<span><a href="{base}/">Home</a></span>']
    for k in range(len(parts)):
        p = "/".join(parts[: k + 1])
        if k == len(parts) - 1:
            bc.append(f'<i class="fa fa-angle-right"></i>\n<span class="breadcrumb_last_link"><a href="{cat_url(base, p)}">{t(CATEGORY_NAMES[p])}</a></span>')
        else:
            bc.append(f'<i class="fa fa-angle-right"></i>\n<span><a href="{cat_url(base, p)}">{t(CATEGORY_NAMES[p])}</a></span>')
    cat_header = ('<div class="jeg_cat_header jeg_cat_header_1">\n<div class="jeg_breadcrumbs jeg_breadcrumb_category jeg_breadcrumb_container">'
                  '<div id="breadcrumbs">' + "".join(bc) + f'</div></div>\n<h1 class="jeg_cat_title">{t(name)}</h1>\n'
                  f'<h2 class="jeg_cat_subtitle"></h2>\n</div>')
    chunk = posts[(page - 1) * PER_PAGE: page * PER_PAGE]
    content = (f'<div class="jnews_category_content_wrapper"><div  class="jeg_postblock_5 jeg_postblock jeg_module_hook '
               f'jeg_pagination_disable jeg_col_2o3 jnews_module_{cat_id}_1_cat  normal " data-unique="jnews_module_{cat_id}_1_cat">\n'
               f'<div class="jeg_block_container">\n<div class="jeg_posts jeg_load_more_flag">'
               + "\n".join(_list_item(x, base) for x in chunk)
               + '</div>\n<div class=\'module-overlay\'><div class=\'preloader_type preloader_dot\'></div></div>\n</div>\n'
               '<div class="jeg_block_navigation">\n<div class=\'navigation_overlay\'></div>\n</div>\n</div>'
               f'{_pagination(base, path, page, total)}</div>')
    main = (f'<div class="jeg_main jeg_category">\n<div class="jeg_container">\n<div class="jeg_content">\n'
            f'<div class="jeg_section">\n<div class="container">\n'
            f'<div class="jeg_ad jeg_category jnews_archive_above_hero_ads "><div class=\'ads-wrapper  \'></div></div>\n'
            f'{hero}\n<div class="jeg_ad jeg_category jnews_archive_below_hero_ads "><div class=\'ads-wrapper  \'></div></div>\n'
            f'<div class="jeg_cat_content row">\n<div class="jeg_main_content jeg_column col-sm-8">\n<div class="jeg_inner_content">\n'
            f'{cat_header}\n<div class="jeg_ad jeg_category jnews_archive_above_content_ads "><div class=\'ads-wrapper  \'></div></div>\n'
            f'{content}\n</div>\n</div>\n{sidebar(site, base)}\n</div>\n</div>\n</div>\n</div>\n</div>\n</div>')
    return _doc("\n".join(h), body_class, main, base, site, None)


def render_home(site: Site, base_url: str) -> str:
    base = base_url.rstrip("/")
    items = "\n".join(f'<li><a href="{a.url(base)}">{t(a.title)}</a> <span class="jeg_meta_date">{fmt_std(a.published)}</span></li>'
                      for a in site.articles[:20])
    cats = "\n".join(f'<li><a href="{cat_url(base, p)}">{t(n)}</a></li>' for p, n in CATEGORIES.items())
    return (f'<!doctype html>\n<html lang="it-IT">\n<head>\n<meta charset="UTF-8" />\n<title>Alanews - {SITE_DESC}</title>\n'
            f'<link rel="canonical" href="{base}/" />\n</head>\n<body class="home blog jnews">\n'
            f'<div class="jeg_nav_item jeg_top_date">{fmt_top_date(TODAY)}</div>\n'
            f'<ul class="jeg_menu jeg_main_menu">{cats}</ul>\n<div class="jeg_posts">\n<ul>\n{items}\n</ul>\n</div>\n'
            f'<p class="copyright">{t(COPYRIGHT)}</p>\n</body>\n</html>\n')


def render_404(base_url: str) -> str:
    base = base_url.rstrip("/")
    cats = "\n".join(f'<li><a href="{cat_url(base, p)}">{t(n)}</a></li>' for p, n in CATEGORIES.items())
    return (f'<!doctype html>\n<html lang="it-IT">\n<head>\n<meta charset="UTF-8" />\n'
            f'<title>Pagina non trovata - Alanews</title>\n<meta name="robots" content="noindex, follow" />\n</head>\n'
            f'<body class="error404 jnews">\n<ul class="jeg_menu jeg_main_menu">{cats}</ul>\n'
            f'<div class="jeg_main jeg_404_content"><div class="container"><div class="jnews_404_content">\n'
            f'<h1 class="jeg_archive_title">Page Not Found</h1>\n<p>Sorry, the page you are looking for is not available.</p>\n'
            f'</div></div></div>\n</body>\n</html>\n')


def render_robots(base_url: str, sitemap: str | None = "/sitemap_index.xml") -> str:
    """Yoast's robots.txt block; ``sitemap``: the index path its ``Sitemap:`` line names, or None."""
    base = base_url.rstrip("/")
    line = f"Sitemap: {base}{sitemap}\n" if sitemap else ""
    return ("# START YOAST BLOCK\n# ---------------------------\nUser-agent: *\nDisallow: /wp-admin/\n"
            "Allow: /wp-admin/admin-ajax.php\n\n"
            f"{line}# ---------------------------\n# END YOAST BLOCK\n")


# ------------------------------------------------------------ layout drift (python -m replica --theme drifted)
# An article page after a theme update that also dropped the SEO plugin's head output:
# the single-post title and byline-date classes renamed, the standfirst's class renamed,
# no JSON-LD (Yoast's or the theme's), no og:/article:/twitter: meta, no meta description
# or author. The byline author, tags, featured image, content and Related Posts keep
# their markup, and archives are unchanged: navigation works, some fields silently go.
_DRIFT_DROPPED = re.compile(
    r"<script type=[\"']application/ld\+json[\"'][^>]*>.*?</script>\n?"
    r"|<meta (?:property|name)=\"(?:og|article|twitter):[^\"]*\" content=\"[^\"]*\" />\n?"
    r"|<meta name=\"(?:description|author)\" content=\"[^\"]*\" />\n?",
    re.S,
)
_DRIFT_RENAMED = {
    '<h1 class="jeg_post_title">': '<h1 class="jeg_post_headline">',
    'class="jeg_post_subtitle"': 'class="jeg_post_standfirst"',
    "jeg_meta_date": "jeg_meta_time",
}


def drift_article(page: str) -> str:
    page = _DRIFT_DROPPED.sub("", page)
    for old, new in _DRIFT_RENAMED.items():
        page = page.replace(old, new)
    return page


# The drifted page without any title source: no <title>, no h1 (a template that lost its header).
# What no fallback can read: such an article is an invalid item, not written.
_UNTITLED_DROPPED = re.compile(r"<title>.*?</title>\n?|<h1\b[^>]*>.*?</h1>", re.S)


def untitle_article(page: str) -> str:
    return _UNTITLED_DROPPED.sub("", drift_article(page))


def cut_article(page: bytes) -> bytes:
    """The page cut in the middle of its content, as a connection closed early that the client
    cannot tell from the end (the Content-Length is the cut copy's): no end of the content, no
    Related Posts, no ``</body>`` or ``</html>``."""
    start = page.find(b'class="content-inner')
    stop = page.find(b"jeg_post_tags", start)
    cut = page.find(b"</p>", (start + stop) // 2, stop) if 0 <= start < stop else -1
    return page[:cut if cut >= 0 else len(page) // 2]
