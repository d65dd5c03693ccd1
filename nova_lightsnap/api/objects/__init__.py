"""The operations of lightsnap-api, apart from HTTP (placement's
``objects/``): records, claims, transactions, compute calls and the
background operations they start.

Handlers check policy, read the body against its schema, call one
function here and return its view; nothing here reads a request.
Functions take the service (:class:`nova_lightsnap.api.service.Service`)
and the caller's request context, and raise the errors of
:mod:`nova_lightsnap.exception` (or the engine's, from a compute).
"""
