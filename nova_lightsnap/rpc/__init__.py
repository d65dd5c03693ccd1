"""RPC between the lightsnap API service and the compute hosts.

oslo.messaging on Nova's own transport: each compute serves the topic
``lightsnap`` with ``server`` = its host name (:mod:`.server`, started by
the driver's ``init_host``); the API service calls one host at a time
through :class:`.client.ComputeClient`.
"""

TOPIC = 'lightsnap'
VERSION = '1.0'
# Nova's nova-compute sets control_exchange 'nova', while a service with
# its own configuration defaults to 'openstack': naming the exchange here
# makes both sides meet whatever their control_exchange is.
EXCHANGE = 'lightsnap'
