import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from peuplement.cli import app

runner = CliRunner()


def test_territory_command_default(tmp_path, shared_data):
    result = runner.invoke(
        app, ["territory", "--data-dir", str(shared_data), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "245901152"
    assert len(gpd.read_file(folder / "territoire.gpkg", layer="communes")) == 20
    qpv = gpd.read_file(folder / "territoire.gpkg", layer="qpv")
    assert len(qpv) == 8 and qpv.crs.to_epsg() == 2154
    parc = pd.read_csv(folder / "parc_communes.csv", sep=";", dtype={"code_insee": str})
    assert len(parc) == 20 and parc["nb_lls"].sum() == 8713 - 26
    assert parc["code_insee"].str.len().eq(5).all()
    outside = pd.read_csv(folder / "hors_perimetre.csv", sep=";", dtype={"code_insee": str})
    assert outside["code_insee"].tolist() == ["59192"]
    assert (
        "8 713" in result.output and "70 957" in result.output and "Emerchicourt" in result.output
    )


def test_territory_command_without_reference_data(tmp_path):
    result = runner.invoke(
        app, ["territory", "--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "QPV indisponibles" in result.output and "data.gouv.fr" in result.output
    assert len(gpd.read_file(tmp_path / "245901152" / "territoire.gpkg", layer="qpv")) == 0


def test_territory_command_bad_epci(tmp_path):
    result = runner.invoke(app, ["territory", "--epci", "123456789", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "unknown EPCI SIREN" in result.output


@pytest.mark.parametrize("command", [[], ["territory"]])
def test_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
