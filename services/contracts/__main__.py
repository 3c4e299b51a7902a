from services.common.contract_files import SCHEMAS_DIR
from services.contracts.document import write_all

for path in write_all():
    print(path.relative_to(SCHEMAS_DIR.parent))
