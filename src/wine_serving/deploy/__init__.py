"""From this machine to a cluster: an image build context (``image``) and the manifests that run it
(``manifests``). Nothing here needs Docker or a cluster; a notebook imports the two modules
(``from wine_serving.deploy import image, manifests``) and calls ``image.build_context(...)``.
"""
