"""Contains all the data models used in inputs/outputs"""

from .build import Build
from .build_file import BuildFile
from .build_from_files_request import BuildFromFilesRequest
from .build_from_github_request import BuildFromGithubRequest
from .cache_vm_request import CacheVMRequest
from .cached_vm import CachedVM
from .cached_vm_logs import CachedVMLogs
from .env_vars import EnvVars
from .error_body import ErrorBody
from .image import Image
from .import_image_request import ImportImageRequest
from .known_build_status import KnownBuildStatus
from .known_vm_state import KnownVMState
from .log_line import LogLine
from .log_order import LogOrder
from .log_page import LogPage
from .start_vm_request import StartVMRequest
from .vm import VM
from .vm_list import VMList

__all__ = (
    "Build",
    "BuildFile",
    "BuildFromFilesRequest",
    "BuildFromGithubRequest",
    "CachedVM",
    "CachedVMLogs",
    "CacheVMRequest",
    "EnvVars",
    "ErrorBody",
    "Image",
    "ImportImageRequest",
    "KnownBuildStatus",
    "KnownVMState",
    "LogLine",
    "LogOrder",
    "LogPage",
    "StartVMRequest",
    "VM",
    "VMList",
)
