"""From this machine to a cluster: an image build context (``image``) and the manifests that run it
(``manifests``). Nothing here needs Docker or a cluster; the names below are the whole surface a
notebook uses (``from wine_serving import deploy`` then ``deploy.build_context(...)``).
"""

from wine_serving.deploy.image import (
    APP,
    DOCKERIGNORE_EXTRA,
    IMAGE,
    IMAGE_MODELS_DIR,
    IMAGE_STEPS_HEADER,
    OVERRIDES_FILE,
    SERVER_REQUIREMENTS,
    WEB_STACK,
    WHEELS_DIR,
    build_context,
    build_wheel,
    container_settings,
    image_steps,
    web_stack_overrides,
)
from wine_serving.deploy.manifests import (
    autoscaler,
    deployment,
    inference_probe_command,
    kserve_inference_service,
    kubernetes_manifests,
    seldon_model,
    seldon_server,
    service,
    validate_kubernetes,
    write_all,
    write_monitoring,
    write_yaml,
)

__all__ = ["APP", "DOCKERIGNORE_EXTRA", "IMAGE", "IMAGE_MODELS_DIR", "IMAGE_STEPS_HEADER", "OVERRIDES_FILE",
           "SERVER_REQUIREMENTS", "WEB_STACK", "WHEELS_DIR", "autoscaler", "build_context", "build_wheel",
           "container_settings", "deployment", "image_steps", "inference_probe_command",
           "kserve_inference_service", "kubernetes_manifests", "seldon_model", "seldon_server", "service",
           "validate_kubernetes",
           "web_stack_overrides", "write_all", "write_monitoring", "write_yaml"]
