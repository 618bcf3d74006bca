"""guanjia ingest FILE... [--published YYYY-MM-DD] [--json] [--dry-run] [--user USERNAME]

Reads news reports, bulletins and notices (.txt, .docx, text PDF) and proposes the records in
them, every figure with the sentence it came from. The document and its proposals are stored
for review at /ingest/<id>/ (the same text again is the same document: nothing is proposed
twice); --dry-run stores nothing. Nothing reaches the ledger until a person accepts it.
"""

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from guanjia.accounts.models import User
from guanjia.ingest import gazetteer, services
from guanjia.ingest.extract import extract
from guanjia.ingest.models import IngestedDocument, Proposal

ERROR_EXIT = 2


def with_matches(result: dict[str, Any], proposals: list[Proposal]) -> dict[str, Any]:
    """The extraction, each record with "match": create / update <id> / exists <id> / reference."""
    out = json.loads(json.dumps(result))
    by_kind: dict[str, list[Proposal]] = {}
    for proposal in proposals:
        by_kind.setdefault(proposal.kind, []).append(proposal)
    for section, kind in services.SECTIONS:
        for record, proposal in zip(out[section], by_kind.get(kind, []), strict=False):
            record["match"] = {
                "action": proposal.match,
                "type": proposal.match_type or None,
                "id": proposal.match_id,
                "label": proposal.match_label or None,
                "proposal": proposal.pk,
                "status": proposal.status,
            }
    return out


class Command(BaseCommand):
    help = "Read texts and propose the records in them for review."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help=".txt, .docx or text PDF files")
        parser.add_argument(
            "--published",
            type=dt.date.fromisoformat,
            help="the date for years the text leaves out (default: its date line)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--dry-run", action="store_true", help="store nothing")
        parser.add_argument("--user", help="record the upload as this user")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user called {options['user']}", returncode=2)
        outputs = []
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"no such file: {path}", returncode=ERROR_EXIT)
            try:
                text = services.read_upload(path.name, path.read_bytes())
                outputs.append(self.one(path, text, user, options))
            except ValidationError as exc:
                raise CommandError(f"{path}: {'; '.join(exc.messages)}", returncode=2) from exc
        if options["json"]:
            data = outputs[0] if len(outputs) == 1 else outputs
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            for output in outputs:
                self.human(output)

    def one(self, path: Path, text: str, user: Any, options: dict[str, Any]) -> dict[str, Any]:
        if options["dry_run"]:
            with transaction.atomic():
                result = extract(
                    services.normalise(text),
                    published=options["published"],
                    regions=gazetteer.from_db(),
                )
                published = result["document"]["published"]
                unsaved = IngestedDocument(
                    extraction=result,
                    published=dt.date.fromisoformat(published) if published else None,
                )
                proposals = []
                for section, kind in services.SECTIONS:
                    for payload in result[section]:
                        proposal = Proposal(kind=kind, payload=payload, document=unsaved)
                        services.rematch(proposal)
                        proposals.append(proposal)
            out = with_matches(result, proposals)
            out["document"]["source"] = path.name
            return out
        document, created = services.ingest(
            text, actor=user, source_name=path.name, published=options["published"]
        )
        out = with_matches(document.extraction, list(document.proposals.all()))
        out["document"].update(
            id=document.pk,
            source=document.source_name,
            created=created,
            review=reverse("ingest:review", args=[document.pk]),
        )
        return out

    def human(self, output: dict[str, Any]) -> None:
        doc = output["document"]
        self.stdout.write(
            f"{doc.get('source', '')}: {doc.get('title', '')} "
            f"(year {doc.get('year')}, {doc.get('year_source')})"
        )
        if doc.get("review"):
            state = "new" if doc.get("created") else "already ingested"
            self.stdout.write(f"  {state}; review at {doc['review']}")
        for section, _kind in services.SECTIONS:
            for record in output[section]:
                match = record.get("match", {})
                figures = ", ".join(
                    f"{key}={item['value']}{'~' if item.get('approximate') else ''}"
                    for key, item in record.items()
                    if isinstance(item, dict) and "evidence" in item
                )
                label = f" {match.get('label')}" if match.get("label") else ""
                self.stdout.write(f"  [{section}] {match.get('action', '')}{label}: {figures}")
