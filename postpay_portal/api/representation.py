"""Objects as the staff API shows them, by one serializer instance per class.

Building a DRF serializer deep-copies its declared fields, which cost five times the
serialization itself on the order placement path (the outbox serializes every event's
object, a placement answers with its order). ``to_representation`` keeps no state on the
instance, so one instance per class serves every thread; without a request in its context
it is the staff view (``subscriptions.apis.OrderOutput``).
"""

_instances = {}


def represent(serializer_class, obj):
    serializer = _instances.get(serializer_class)
    if serializer is None:
        serializer = _instances[serializer_class] = serializer_class()
    return serializer.to_representation(obj)
