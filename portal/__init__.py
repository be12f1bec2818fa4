"""The portal: server-rendered pages for people, a client of the gateway's REST API only.

It imports nothing from ``services/`` or ``gateway/`` (tests/portal asserts it); what a page
needs and the API lacks is added to the API first. Run it with ``python -m portal``
(gunicorn, one process, eight threads) on PORTAL_PORT (8080), against GATEWAY_URL
(http://127.0.0.1:8000). Other settings: PORTAL_SECRET_KEY, SESSION_COOKIE_SECURE (false).

The interface a blueprint is written against (staff workspaces included):

- A module ``portal/blueprints/<name>.py`` exposing ``bp = Blueprint(...)`` is registered by
  ``create_app`` (portal.app) without being listed anywhere; give it a ``url_prefix``.
  Templates go under ``portal/templates/<area>/`` and extend ``base.html``, filling the
  blocks ``title``, ``breadcrumbs`` (``<li>`` items after 首页) and ``content``.
- ``portal.client.api()`` is the gateway as the signed-in user (token and Accept-Language of
  this request): ``get(path, params)``, ``post(path, json, files, idempotency_key)``,
  ``put``, ``patch``, ``delete``, ``get_bytes(path, params) -> (bytes, type, disposition)``;
  paths relative to /api/v1; ``public_api()`` is the same as the public. Refusals raise
  ``ApiError(status, code, message, details)`` (message in the user's language). Left
  uncaught, a 401 (``LoginRequired``) sends the user to log in and back, a 403 renders
  ``errors/forbidden.html`` (never the data), a 404 ``errors/not_found.html``, others
  ``errors/error.html``. Catch ApiError around a form's submit to show it on the form.
- ``portal.auth.login_required(*roles)`` guards a view; ``current_user()`` is a dict
  (username, role, role_name, display_name, organisation, organisation_name, district,
  district_name, expert) or None. Templates see it as ``current_user``.
- ``portal.menu.add(role, endpoint, label, count=None)`` adds a menu entry for a role (call
  it at import time of the blueprint module; ``count`` returns a number shown beside it).
- Forms: subclass ``portal.forms.OnceForm`` (Flask-WTF: CSRF, plus a hidden idempotency
  key). In the view::

      if form.validate_on_submit():
          done = submit_once(form, lambda key: (api().post(path, json=..., idempotency_key=key),
                                                url_for(".page"))[1])
          if done:
              return done            # post/redirect/get; a double click lands here too
      return render_template(..., form=form), form_status(form)

  ``submit_once`` lets one POST per form key through, puts a refusal on the form with
  ``apply_api_error(form, err)`` (details beside the fields, the message at the top; the
  typed values stay) and re-raises 401/403/404 to the app's handlers.
  See portal/blueprints/host.py.
- Macros (``{% import "_macros.html" as m %}``): ``m.form_head(form)`` (hidden fields and
  the refusal at the top), ``m.field(f, hint=None)``, ``m.status_badge(status)``,
  ``m.pager(page, endpoint, args)`` (page = the API's {items,total,limit,offset}; views read
  ``?page=`` via ``portal.paging.page_params()``), ``m.timeline(history)``.
  Filters: ``money`` (fen → ¥ yuan), ``yuan`` (a yuan string), ``date``, ``datetime``
  (Asia/Shanghai), ``district``, ``station_type``, ``host_category``, ``status_name``,
  ``role_name``, ``condition_name``, ``function_name``, ``action_name``, ``nl2br``.
- Text: Chinese msgids in ``_("…")`` / ``lazy_gettext``; English in
  ``portal/translations/en/LC_MESSAGES/messages.po``. After adding strings:
  ``pybabel extract -F portal/babel.cfg -k _l -o /tmp/messages.pot portal`` (``-k _l``: the
  forms' lazy labels; without it ``update`` marks them obsolete) then
  ``pybabel update -i /tmp/messages.pot -d portal/translations`` and
  ``pybabel compile -d portal/translations`` (the .mo is committed; a test checks it is
  current).
"""
